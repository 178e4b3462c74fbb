package accesslog

import (
	"bytes"
	"fmt"
	"testing"
)

// benchLog is n lines of serve's decision log over a few hundred paths.
func benchLog(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"time":"2026-05-01T12:00:%02d.%09dZ","level":"INFO","msg":"decision","method":"GET","target":"/acme/config/clients/c%d","path":"/config/clients/c%d","allowed":true,"reason":"granted","item":".:config/**","client":"client-%d"}`+"\n",
			i%60, i, i%300, i%300, i%7)
	}
	return b.Bytes()
}

func BenchmarkReadServe(b *testing.B) {
	log := benchLog(100000)
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(log), Options{}, func([]Record) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/line")
}
