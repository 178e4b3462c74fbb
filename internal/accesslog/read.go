package accesslog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
)

// blockSize is how much input one parsing goroutine takes at a time.
const blockSize = 1 << 20

// block is a run of whole lines of input, or a line too long to keep.
type block struct {
	seq    int64
	line   int64  // the number of its first line
	data   []byte // whole lines, at the start of a buffer from the pool
	long   bool   // data is empty: line is longer than MaxLine
	format Format
}

// parsed is what a parsing goroutine made of a block. buf is the
// block's buffer, which its records' strings share, given back once
// they have been handed on.
type parsed struct {
	seq  int64
	recs []Record
	st   Stats
	buf  []byte
}

// pool holds the buffers of blocks and of records that were handed on,
// for the next blocks: reading makes little garbage, whatever the
// length of the input. It holds at most as many as are in flight.
type pool struct {
	bufs chan []byte
	recs chan []Record
}

func newPool(n int) *pool { return &pool{bufs: make(chan []byte, n), recs: make(chan []Record, n)} }

// buf returns an empty buffer of capacity size.
func (p *pool) buf(size int) []byte {
	select {
	case b := <-p.bufs:
		if cap(b) >= size {
			return b[:0]
		}
	default:
	}
	return make([]byte, 0, size)
}

func (p *pool) records() []Record {
	select {
	case r := <-p.recs:
		return r[:0]
	default:
		return nil
	}
}

// put gives back what a block used; what does not fit is left to the
// collector.
func (p *pool) put(buf []byte, recs []Record) {
	if buf != nil {
		select {
		case p.bufs <- buf:
		default:
		}
	}
	if recs != nil {
		clear(recs) // drop the strings, which point into buffers
		select {
		case p.recs <- recs:
		default:
		}
	}
}

// Read reads a log from r, plain or gzip (recognised by its first two
// bytes; concatenated gzip members are read as one stream), and calls
// fn with the records of each block of lines, in the order of the
// lines, from the calling goroutine. The records, and their strings, are
// valid only until fn returns: their memory is used again for the next
// blocks, so fn copies what it keeps (strings.Clone). Blank lines, and the lines of
// serve's log that are not decisions, make no record; a line that
// cannot be read makes a Malformed one, and reading goes on. Read
// returns when the input ends, with the figures of what it read, or
// with an error when the input cannot be read (a gzip stream that is
// damaged or cut short included); the records handed to fn until then
// stand.
//
// Memory is bounded: about (3×Workers+4) blocks of one MiB, or of
// MaxLine when that is larger, are held at once, and used again.
func Read(r io.Reader, opts Options, fn func([]Record)) (Stats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	maxLine := opts.MaxLine
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	fields := opts.Fields
	if fields == (Fields{}) {
		fields = DefaultFields
	}
	allowed, denied := opts.AllowedStatus, opts.DeniedStatus
	if allowed == nil {
		allowed = DefaultAllowedStatus
	}
	if denied == nil {
		denied = DefaultDeniedStatus
	}
	maxBytes := opts.MaxBytes
	switch {
	case maxBytes == 0:
		maxBytes = DefaultMaxBytes
	case maxBytes < 0:
		maxBytes = 0
	}
	cfg := &parseConfig{maxLine: maxLine, json: newJSONSpec(fields), serve: serveSpec, remoteUser: opts.RemoteUser}
	for i := range cfg.status {
		cfg.status[i] = Unknown
	}
	for _, s := range allowed {
		if s >= 0 && s < len(cfg.status) {
			cfg.status[s] = Allowed
		}
	}
	for _, s := range denied {
		if s >= 0 && s < len(cfg.status) {
			cfg.status[s] = Denied
		}
	}

	counted := &countingReader{r: r}
	br := bufio.NewReaderSize(counted, 64<<10)
	var st Stats
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return st, fmt.Errorf("gzip: %w", err)
		}
		defer gz.Close()
		src, st.Gzip = gz, true
	}
	bounded := &boundedReader{r: src, left: maxBytes, limit: maxBytes}
	src = bounded

	blocks := make(chan block, workers)
	results := make(chan parsed, workers)
	free := newPool(3*workers + 4)
	var readErr error
	var format Format
	go func() {
		defer close(blocks)
		format, readErr = split(src, opts.Format, maxLine, blocks, free, func() {
			if opts.Progress != nil {
				opts.Progress(counted.n)
			}
		})
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newParser(cfg)
			for b := range blocks {
				results <- p.block(b, free.records())
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	// Blocks come back in any order; hand them on in theirs. At most the
	// blocks in flight wait here.
	pending := map[int64]parsed{}
	next := int64(0)
	for res := range results {
		pending[res.seq] = res
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			st.Lines += p.st.Lines
			st.Records += p.st.Records
			st.Malformed += p.st.Malformed
			st.Skipped += p.st.Skipped
			if len(p.recs) > 0 {
				fn(p.recs)
			}
			free.put(p.buf, p.recs)
		}
	}
	st.Format = format
	st.Bytes = bounded.limit - bounded.left
	if readErr != nil {
		return st, fmt.Errorf("after line %d: %w", st.Lines, readErr)
	}
	return st, nil
}

// boundedReader reads at most limit bytes from r, and then fails with
// ErrTooLarge if r has more; left is what it may still read. Only the
// reading goroutine uses it until it is done.
type boundedReader struct {
	r           io.Reader
	left, limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the bound: whether the log ends here is one more byte away.
		var one [1]byte
		if n, err := b.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w, %d: the rest is not read", ErrTooLarge, b.limit)
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// countingReader counts the bytes read through it; only the reading
// goroutine reads n.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// split cuts the input into blocks of whole lines and sends them, with
// the format (recognised from the first line that is not blank when it
// is Auto), calling progress after each. A line longer than maxLine is
// sent as a block of its own with long set, and its bytes are dropped
// as they are read.
func split(src io.Reader, format Format, maxLine int, out chan<- block, free *pool, progress func()) (Format, error) {
	size := max(blockSize, maxLine+1)
	buf := free.buf(size)
	seq, line := int64(0), int64(1)
	send := func(b block) {
		b.seq, b.line, b.format = seq, line, format
		seq++
		out <- b
		progress()
	}
	for {
		n, err := fill(src, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		eof := err == io.EOF
		if err != nil && !eof {
			// The whole lines read before the failure are still read, so
			// that the error says how far the input could be read.
			if last := bytes.LastIndexByte(buf, '\n'); last >= 0 {
				send(block{data: buf[:last+1]})
			}
			return format, err
		}
		if format == Auto {
			format = detect(buf, eof)
		}
		if eof {
			if len(buf) > 0 {
				send(block{data: buf})
			}
			return format, nil
		}
		last := bytes.LastIndexByte(buf, '\n')
		if last < 0 {
			// A full buffer and no line end: the line at its start is
			// longer than maxLine.
			if format == Auto {
				format = Combined // no JSON line is that long; what it is does not matter
			}
			send(block{long: true})
			line++
			rest, err := skipLine(src)
			if err != nil {
				if errors.Is(err, io.EOF) {
					return format, nil
				}
				return format, err
			}
			buf = append(free.buf(size), rest...)
			continue
		}
		whole := buf[:last+1]
		send(block{data: whole})
		line += int64(bytes.Count(whole, []byte{'\n'}))
		buf = append(free.buf(size), buf[last+1:]...)
	}
}

// fill reads into p until it is full or the input ends (io.EOF) or
// fails; unlike io.ReadFull it keeps io.ErrUnexpectedEOF, which a gzip
// stream cut short returns, apart from the end of the input.
func fill(src io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := src.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// skipLine reads and drops input up to and including the next line end,
// and returns what it read after it.
func skipLine(src io.Reader) ([]byte, error) {
	scratch := make([]byte, 64<<10)
	for {
		n, err := src.Read(scratch)
		if i := bytes.IndexByte(scratch[:n], '\n'); i >= 0 {
			return slices.Clone(scratch[i+1 : n]), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// detect recognises the format of a log from its first line that is not
// blank, once it has one whole (or the input ends); Auto until then.
func detect(buf []byte, eof bool) Format {
	for len(buf) > 0 {
		end := bytes.IndexByte(buf, '\n')
		if end < 0 {
			if !eof {
				return Auto
			}
			end = len(buf)
		}
		line := bytes.TrimSpace(buf[:end])
		if len(line) > 0 {
			if line[0] != '{' {
				return Combined
			}
			if isSlogLine(line) {
				return Serve
			}
			return JSON
		}
		if end == len(buf) {
			break
		}
		buf = buf[end+1:]
	}
	return Auto
}
