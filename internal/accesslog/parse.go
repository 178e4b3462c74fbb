package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// parseConfig is what every parsing goroutine shares, read-only.
type parseConfig struct {
	maxLine int
	// status is the outcome each HTTP status means.
	status     [1000]Outcome
	remoteUser bool
	json       *jsonSpec // the members of a JSON log
	serve      *jsonSpec // the members of serve's log
}

// parser parses lines on one goroutine.
type parser struct {
	cfg  *parseConfig
	dec  jsontext.Decoder
	rd   bytes.Reader
	line []byte   // the line being parsed
	vals [][]byte // the raw JSON value of each slot, nil when absent
	// The time last parsed, since neighbouring lines often share it.
	lastTime []byte
	lastNano int64
	scratch  []byte
}

func newParser(cfg *parseConfig) *parser {
	return &parser{cfg: cfg, vals: make([][]byte, nSlots)}
}

// str is the string of b's bytes without a copy. A block is not written
// until its records have been handed on, so the string does not change
// while a record holds it.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// block parses the lines of a block, appending its records to recs.
func (p *parser) block(b block, recs []Record) parsed {
	res := parsed{seq: b.seq, buf: b.data, recs: recs}
	if b.long {
		res.recs = append(res.recs, Record{Line: b.line, Outcome: Malformed, Reason: fmt.Sprintf("the line is longer than %d bytes, and was not read", p.cfg.maxLine)})
		res.st.Lines, res.st.Malformed = 1, 1
		return res
	}
	data := b.data
	for n := b.line; len(data) > 0; n++ {
		if data[0] == '\n' {
			// A run of empty lines, such as a stream of line ends that a
			// small gzip member expands to, is counted, not parsed.
			k := 1
			for k < len(data) && data[k] == '\n' {
				k++
			}
			res.st.Lines += int64(k)
			res.st.Skipped += int64(k)
			n += int64(k - 1)
			data = data[k:]
			continue
		}
		l := data
		if end := bytes.IndexByte(data, '\n'); end >= 0 {
			l, data = data[:end], data[end+1:]
		} else {
			data = nil
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		res.st.Lines++
		if len(bytes.TrimSpace(l)) == 0 {
			res.st.Skipped++
			continue
		}
		rec := Record{Line: n}
		keep := true
		switch {
		case len(l) > p.cfg.maxLine:
			rec.Outcome, rec.Reason = Malformed, fmt.Sprintf("the line is longer than %d bytes, and was not read", p.cfg.maxLine)
		case b.format == Serve:
			keep = p.serveLine(l, &rec)
		case b.format == JSON:
			p.jsonLine(l, &rec)
		default:
			p.combinedLine(str(l), &rec)
		}
		switch {
		case !keep:
			res.st.Skipped++
			continue
		case rec.Outcome == Malformed:
			// Nothing read from a line that is wrong is believed.
			rec = Record{Line: n, Outcome: Malformed, Reason: rec.Reason}
			res.st.Malformed++
		default:
			res.st.Records++
		}
		res.recs = append(res.recs, rec)
	}
	return res
}

// The slots of the values a JSON line is read for.
const (
	sMethod = iota
	sURI
	sPath
	sClient
	sTime
	sStatus
	sAllowed
	sReason
	sMsg
	sLevel
	sSources
	sTenant
	nSlots
)

// jsonSpec is the tree of member names a JSON line is read for: a name
// with dots descends into objects.
type jsonSpec struct{ root *wantNode }

type wantNode struct {
	kids map[string]*wantNode
	slot int // -1 for an object on the way to a wanted member
}

func newJSONSpec(f Fields) *jsonSpec {
	s := &jsonSpec{root: &wantNode{slot: -1}}
	for slot, name := range map[int]string{sMethod: f.Method, sURI: f.URI, sClient: f.Client, sTime: f.Time, sStatus: f.Status, sAllowed: f.Allowed} {
		s.add(name, slot)
	}
	return s
}

// serveSpec reads serve's decision lines.
var serveSpec = func() *jsonSpec {
	s := &jsonSpec{root: &wantNode{slot: -1}}
	for slot, name := range map[int]string{sMethod: "method", sURI: "target", sPath: "path", sClient: "client", sTime: "time",
		sAllowed: "allowed", sReason: "reason", sMsg: "msg", sLevel: "level", sSources: "sources", sTenant: "tenant"} {
		s.add(name, slot)
	}
	return s
}()

func (s *jsonSpec) add(name string, slot int) {
	if name == "" {
		return
	}
	n := s.root
	for part := range strings.SplitSeq(name, ".") {
		if n.kids == nil {
			n.kids = map[string]*wantNode{}
		}
		next := n.kids[part]
		if next == nil {
			next = &wantNode{slot: -1}
			n.kids[part] = next
		}
		n = next
	}
	n.slot = slot
}

// readObject reads the line as one JSON object and records the raw value
// of each wanted member in p.vals. It returns what is wrong, or "".
func (p *parser) readObject(l []byte, spec *jsonSpec) string {
	clear(p.vals)
	p.line = l
	p.rd.Reset(l)
	p.dec.Reset(&p.rd)
	if p.dec.PeekKind() != '{' {
		return "not a JSON object"
	}
	if _, err := p.dec.ReadToken(); err != nil {
		return "invalid JSON: " + err.Error()
	}
	if err := p.object(spec.root); err != nil {
		return "invalid JSON: " + err.Error()
	}
	if _, err := p.dec.ReadValue(); err != io.EOF {
		return "more than one JSON value on the line"
	}
	return ""
}

// object reads the members of an object whose "{" has been read, up to
// and including its "}".
func (p *parser) object(want *wantNode) error {
	for {
		switch p.dec.PeekKind() {
		case '}':
			_, err := p.dec.ReadToken()
			return err
		case 0:
			if _, err := p.dec.ReadToken(); err != nil {
				return err
			}
			return errors.New("an object member expected")
		}
		name, err := p.dec.ReadValue()
		if err != nil {
			return err
		}
		var w *wantNode
		if raw := name[1 : len(name)-1]; bytes.IndexByte(raw, '\\') < 0 {
			w = want.kids[string(raw)]
		} else if p.scratch, err = jsontext.AppendUnquote(p.scratch[:0], name); err == nil {
			w = want.kids[string(p.scratch)]
		}
		switch {
		case w == nil:
			err = p.dec.SkipValue()
		case w.slot >= 0:
			var v jsontext.Value
			if v, err = p.dec.ReadValue(); err == nil {
				// The value as it stands in the line, which outlives the
				// decoder's own buffer.
				end := int(p.dec.InputOffset())
				p.vals[w.slot] = p.line[end-len(v) : end]
			}
		case p.dec.PeekKind() == '{':
			if _, err = p.dec.ReadToken(); err == nil {
				err = p.object(w)
			}
		default:
			err = p.dec.SkipValue()
		}
		if err != nil {
			return err
		}
	}
}

// text returns the string in a raw JSON value, and whether it is one.
func (p *parser) text(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if raw := v[1 : len(v)-1]; bytes.IndexByte(raw, '\\') < 0 {
		return str(raw), true
	}
	out, err := jsontext.AppendUnquote(nil, v)
	return string(out), err == nil
}

// isSlogLine reports whether a JSON line is one log/slog's JSON handler
// wrote: an object with string members time, level and msg.
func isSlogLine(l []byte) bool {
	p := newParser(&parseConfig{})
	spec := &jsonSpec{root: &wantNode{slot: -1}}
	spec.add("time", sTime)
	spec.add("level", sLevel)
	spec.add("msg", sMsg)
	if p.readObject(l, spec) != "" {
		return false
	}
	for _, s := range []int{sTime, sLevel, sMsg} {
		if _, ok := p.text(p.vals[s]); !ok {
			return false
		}
	}
	return true
}

// serveLine reads a line of serve's log, and reports whether it is a
// decision.
func (p *parser) serveLine(l []byte, rec *Record) bool {
	if msg := p.readObject(l, p.cfg.serve); msg != "" {
		rec.Outcome, rec.Reason = Malformed, msg
		return true
	}
	if m, _ := p.text(p.vals[sMsg]); m != "decision" {
		return false
	}
	var ok bool
	if rec.Method, ok = p.text(p.vals[sMethod]); !ok {
		rec.Outcome, rec.Reason = Malformed, "a decision line without a method string"
		return true
	}
	var isBool bool
	if rec.Outcome, isBool = outcomeOf(p.vals[sAllowed]); !isBool {
		rec.Outcome, rec.Reason = Malformed, "a decision line without a boolean allowed"
		return true
	}
	rec.Target, _ = p.text(p.vals[sURI])
	rec.Path, rec.HasPath = p.text(p.vals[sPath])
	if rec.Client, ok = p.client(p.vals[sClient]); !ok {
		rec.Outcome, rec.Reason = Malformed, "a decision line whose client is not a string"
		return true
	}
	if rec.Tenant, ok = p.client(p.vals[sTenant]); !ok {
		rec.Outcome, rec.Reason = Malformed, "a decision line whose tenant is not a string"
		return true
	}
	rec.Reason, _ = p.text(p.vals[sReason])
	rec.Time = p.jsonTime(p.vals[sTime])
	if v := p.vals[sSources]; v != nil {
		var why string
		if rec.Sources, why = p.sources(v); why != "" {
			rec.Outcome, rec.Reason = Malformed, why
		}
	}
	return true
}

// sources reads serve's "sources": an array of objects, each with the
// strings name, method ("(any)" for any method) and target. It returns
// what is wrong, or "".
func (p *parser) sources(v []byte) ([]Source, string) {
	const bad = "sources is not an array of objects with the strings name, method and target"
	var dec jsontext.Decoder
	var rd bytes.Reader
	rd.Reset(v)
	dec.Reset(&rd)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '[' {
		return nil, bad
	}
	var out []Source
	for dec.PeekKind() != ']' {
		if len(out) == MaxSources {
			return nil, fmt.Sprintf("more than %d sources, more than serve logs", MaxSources)
		}
		if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
			return nil, bad
		}
		var src Source
		var have [3]bool
		for dec.PeekKind() != '}' {
			name, err := dec.ReadValue()
			if err != nil || name.Kind() != '"' {
				return nil, bad
			}
			// name is the decoder's until its next read.
			var slot *string
			switch string(name) {
			case `"name"`:
				slot, have[0] = &src.Name, true
			case `"method"`:
				slot, have[1] = &src.Method, true
			case `"target"`:
				slot, have[2] = &src.Target, true
			}
			val, err := dec.ReadValue()
			if err != nil {
				return nil, bad
			}
			if slot == nil {
				continue
			}
			end := int(dec.InputOffset())
			raw := v[end-len(val) : end] // the bytes of the line, which outlive the decoder's
			s, ok := p.text(raw)
			if !ok {
				return nil, bad
			}
			*slot = s
		}
		if _, err := dec.ReadToken(); err != nil || have != [3]bool{true, true, true} {
			return nil, bad
		}
		if src.Method == "(any)" {
			src.Method, src.AnyMethod = "", true
		}
		out = append(out, src)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, bad
	}
	return out, ""
}

// jsonLine reads a line of a JSON log.
func (p *parser) jsonLine(l []byte, rec *Record) {
	if msg := p.readObject(l, p.cfg.json); msg != "" {
		rec.Outcome, rec.Reason = Malformed, msg
		return
	}
	var ok bool
	if rec.Method, ok = p.text(p.vals[sMethod]); !ok {
		rec.Outcome, rec.Reason = Malformed, "no method string (see the field mapping)"
		return
	}
	if rec.Target, ok = p.text(p.vals[sURI]); !ok {
		rec.Outcome, rec.Reason = Malformed, "no uri string (see the field mapping)"
		return
	}
	if rec.Client, ok = p.client(p.vals[sClient]); !ok {
		rec.Outcome, rec.Reason = Malformed, "the client is not a string (see the field mapping)"
		return
	}
	rec.Time = p.jsonTime(p.vals[sTime])
	if p.vals[sStatus] == nil && p.vals[sAllowed] == nil {
		// Nothing says the gateway let the request through: it is not
		// counted as allowed.
		rec.Outcome, rec.Reason = Unknown, "no status and no allowed (see the field mapping)"
		return
	}
	if v := p.vals[sStatus]; v != nil {
		s, isText := p.text(v)
		if !isText {
			s = str(v)
		}
		status, ok := parseStatus(s)
		if !ok {
			rec.Outcome, rec.Reason = Malformed, "the status is not an HTTP status"
			return
		}
		rec.Reason, rec.Outcome = s, p.cfg.status[status]
	}
	if v := p.vals[sAllowed]; v != nil {
		byStatus := rec.Outcome
		var isBool bool
		if rec.Outcome, isBool = outcomeOf(v); !isBool {
			rec.Outcome, rec.Reason = Malformed, "allowed is not a boolean"
			return
		}
		if byStatus == Allowed && rec.Outcome == Denied || byStatus == Denied && rec.Outcome == Allowed {
			rec.Outcome, rec.Reason = Malformed, fmt.Sprintf("status %s and allowed %s disagree: whether the gateway allowed the request cannot be told", rec.Reason, v)
		}
	}
}

// client reads a raw JSON client member: a string names the client; null,
// or no member, names none. Any other value (a number, a boolean, an
// object, an array) is no name: written as text, 1 would be the client
// "1", and null the client "null", so ok is false and the line is not
// read.
func (p *parser) client(v []byte) (name string, ok bool) {
	if v == nil || string(v) == "null" {
		return "", true
	}
	return p.text(v)
}

// outcomeOf reads a raw JSON boolean that says whether a request was
// allowed, and whether it is one.
func outcomeOf(v []byte) (Outcome, bool) {
	switch string(v) {
	case "true":
		return Allowed, true
	case "false":
		return Denied, true
	}
	return Malformed, false
}

// jsonTime reads a time member: a string that parseTime reads, or a
// number of Unix seconds.
func (p *parser) jsonTime(v []byte) int64 {
	if len(v) == 0 {
		return 0
	}
	if s, ok := p.text(v); ok {
		return p.parseTime(s)
	}
	return unixSeconds(str(v))
}

// nginxTime is the layout of nginx's $time_local and Apache's %t.
const nginxTime = "02/Jan/2006:15:04:05 -0700"

// parseTime reads an RFC 3339 time (serve's, nginx's $time_iso8601), a
// $time_local, or Unix seconds written as digits; 0 when it is none.
func (p *parser) parseTime(s string) int64 {
	if string(p.lastTime) == s {
		return p.lastNano
	}
	var nano int64
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		nano = t.UnixNano()
	} else if t, err := time.Parse(nginxTime, s); err == nil {
		nano = t.UnixNano()
	} else {
		nano = unixSeconds(s)
	}
	p.lastTime, p.lastNano = append(p.lastTime[:0], s...), nano
	return nano
}

// unixSeconds reads a number of seconds since 1970 with up to nine
// decimals, exactly; 0 when it is not one, or not between 1970 and 5138
// (a number of milliseconds is larger, and not taken for seconds).
func unixSeconds(s string) int64 {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec <= 0 || sec > 1e11 || len(frac) > 9 || whole[0] == '+' {
		return 0
	}
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			if frac[i] < '0' || frac[i] > '9' {
				return 0
			}
			ns += int64(frac[i] - '0')
		}
	}
	return sec*1e9 + ns
}

// combinedLine reads a line of the combined (or common) format.
func (p *parser) combinedLine(l string, rec *Record) {
	bad := func(what string) {
		rec.Outcome, rec.Reason = Malformed, "not a combined log line: "+what
	}
	// $remote_addr, the identity (always "-" from nginx), $remote_user.
	var fields [3]string
	rest := l
	for i := range fields {
		sp := strings.IndexByte(rest, ' ')
		if sp <= 0 {
			bad("it does not begin with the address, identity and user")
			return
		}
		fields[i], rest = rest[:sp], rest[sp+1:]
	}
	if fields[2] != "-" && p.cfg.remoteUser {
		rec.Client = fields[2]
	}
	if !strings.HasPrefix(rest, "[") {
		bad("no [time] after the user")
		return
	}
	end := strings.IndexByte(rest, ']')
	if end < 0 {
		bad("the [time] is not closed")
		return
	}
	rec.Time = p.parseTime(rest[1:end])
	rest = rest[end+1:]
	if !strings.HasPrefix(rest, ` "`) {
		bad(`no "request" after the time`)
		return
	}
	rest = rest[2:]
	// nginx writes '"' and '\' in the request as \x22 and \x5C, Apache as
	// \" and \\: the request ends at the first '"' that no '\' escapes.
	q, escaped := -1, false
	for i := 0; i < len(rest); i++ {
		if rest[i] == '\\' {
			escaped = true
			i++
			continue
		}
		if rest[i] == '"' {
			q = i
			break
		}
	}
	if q < 0 {
		bad("the request is not closed")
		return
	}
	request := rest[:q]
	if escaped {
		request = unescapeLog(request)
	}
	rest = strings.TrimPrefix(rest[q+1:], " ")
	status := rest
	if sp := strings.IndexByte(rest, ' '); sp >= 0 {
		status = rest[:sp]
	}
	code, ok := parseStatus(status)
	if !ok {
		bad("no status after the request")
		return
	}
	rec.Reason, rec.Outcome = status, p.cfg.status[code]
	// "METHOD TARGET PROTOCOL", or "METHOD TARGET" (HTTP/0.9). What is
	// not a request line ("-", bytes of another protocol) keeps no
	// method, and no scope can allow it.
	if sp := strings.IndexByte(request, ' '); sp > 0 {
		rec.Method, rec.Target = request[:sp], request[sp+1:]
		if last := strings.LastIndexByte(rec.Target, ' '); last >= 0 && strings.HasPrefix(rec.Target[last+1:], "HTTP/") {
			rec.Target = rec.Target[:last]
		}
	} else {
		rec.Target = request
	}
}

// unescapeLog undoes the escapes nginx (\xHH) and Apache (\xHH, \", \\)
// write in a logged request.
func unescapeLog(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == 'x' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}
