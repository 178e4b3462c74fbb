package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/scopecheck/scopecheck/gateway"
	"github.com/scopecheck/scopecheck/internal/scopegen"
	"github.com/scopecheck/scopecheck/match"
	"github.com/scopecheck/scopecheck/scope"
)

// slogDecision is the reference of a decision line: the attributes of the
// decision given to slog's JSONHandler, as serve logged them before it
// wrote the line itself.
func slogDecision(t time.Time, level slog.Level, d *gateway.Decision, tenantClaim string) string {
	clip := gateway.Clip
	attrs := []slog.Attr{slog.String("method", clip(d.Method)), slog.String("target", clip(d.Target)), slog.String("path", clip(d.Path))}
	if src := d.Sources(); len(src) > 0 {
		type loggedSource struct {
			Name   string `json:"name"`
			Method string `json:"method"`
			Target string `json:"target"`
		}
		logged := make([]loggedSource, len(src))
		for i, x := range src {
			logged[i] = loggedSource{clip(x.Name), clip(anyMethod(x.Method)), clip(x.Target)}
		}
		attrs = append(attrs, slog.Any("sources", logged))
	}
	switch d.Refusal {
	case gateway.Conflict:
		attrs = append(attrs, slog.String("source", clip(d.Other.Name)), slog.String("source_method", clip(anyMethod(d.Other.Method))),
			slog.String("source_target", clip(d.Other.Target)))
	case gateway.QueryToken:
		attrs = append(attrs, slog.String("source", clip(d.Other.Name)))
	}
	attrs = append(attrs, slog.Bool("allowed", d.Allowed), slog.String("reason", d.Why()))
	switch {
	case d.TokenErr != nil:
		attrs = append(attrs, slog.String("error", clip(d.TokenErr.Error())))
	case d.NoToken:
	default:
		if c := tokenClient(d.Claims); c != "" {
			attrs = append(attrs, slog.String("client", clip(c)))
		}
		if tn, ok := d.Claims[tenantClaim].(string); ok && tenantClaim != "" && gateway.ValidTenant(tn) {
			attrs = append(attrs, slog.String("tenant", clip(tn)))
		}
		if d.Reason == match.Granted || d.Reason == match.ReadOnly {
			attrs = append(attrs, slog.String("item", clip(d.Item.String())))
		}
		if d.ScopeErr != nil {
			attrs = append(attrs, slog.String("scope_error", clip(d.ScopeErr.Error())))
		}
	}
	var b bytes.Buffer
	r := slog.NewRecord(t, level, "decision", 0)
	r.AddAttrs(attrs...)
	slog.NewJSONHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}).Handle(context.Background(), r)
	return b.String()
}

// oddText draws a string a client could send: printable ASCII, control
// bytes, '"' and '\', invalid UTF-8, U+2028 and U+2029, other runes;
// sometimes about as long as gateway.MaxLogField, so that clipping is
// reached at and around its bound.
func oddText() *rapid.Generator[string] {
	pieces := []string{"a", "/", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "<&>", "\xff", "\xe2\x80", "\u2028",
		"\u2029", "é", "€", "😀", "%2e", " "}
	return rapid.Custom(func(t *rapid.T) string {
		var b strings.Builder
		if rapid.IntRange(0, 3).Draw(t, "long") == 0 {
			b.WriteString(strings.Repeat("x", rapid.IntRange(gateway.MaxLogField-4, gateway.MaxLogField+1).Draw(t, "run")))
		}
		for n := rapid.IntRange(0, 6).Draw(t, "pieces"); n > 0; n-- {
			b.WriteString(rapid.SampledFrom(pieces).Draw(t, "piece"))
		}
		return b.String()
	})
}

// claimsTokens accepts a token that names its claims by index ("0", "1"
// …), fails "bad" as a bad token and "down" as an outage.
type claimsTokens []map[string]any

func (c claimsTokens) Scope(ctx context.Context, tok string) (string, error) {
	s, _, err := c.Claims(ctx, tok)
	return s, err
}

func (c claimsTokens) Claims(_ context.Context, tok string) (string, map[string]any, error) {
	switch tok {
	case "bad":
		return "", nil, errors.New("token: JWT: signature is invalid \x00\"é\xff")
	case "down":
		return "", nil, fmt.Errorf("token: no key set: %w", gateway.ErrUnavailable)
	}
	for i, cl := range c {
		if tok == fmt.Sprint(i) {
			s, _ := cl["scope"].(string)
			return s, cl, nil
		}
	}
	return "", nil, errors.New("token: unknown")
}

// The decision line serve writes is, byte for byte, the line slog's
// JSONHandler writes for the decision's attributes: on decisions that
// AuthRequest made of generated requests (every refusal, other sources
// of odd text, damaged scopes, clients and tenants of odd text, bad
// tokens and outages), and on decisions of odd text in every field, at and around
// the clipping bound.
func TestDecisionLineIsSlogs(t *testing.T) {
	check := func(t *rapid.T, d *gateway.Decision, tenantClaim string) {
		at := time.Unix(rapid.Int64Range(0, 1<<34).Draw(t, "sec"), rapid.Int64Range(0, 999999999).Draw(t, "nsec"))
		if rapid.Bool().Draw(t, "utc") {
			at = at.UTC()
		} else {
			at = at.In(time.FixedZone("x", rapid.IntRange(-12, 12).Draw(t, "zone")*3600))
		}
		level := rapid.SampledFrom([]slog.Level{slog.LevelInfo, slog.LevelWarn}).Draw(t, "level")
		want := slogDecision(at, level, d, tenantClaim)
		if diff := cmp.Diff(want, string(appendDecision(nil, at, level, d, tenantClaim))); diff != "" {
			t.Fatalf("the line differs from slog's (-slog +serve):\n%s", diff)
		}
	}
	t.Run("gateway", rapid.MakeCheck(func(t *rapid.T) {
		var toks claimsTokens
		for n := rapid.IntRange(1, 3).Draw(t, "tokens"); n > 0; n-- {
			cl := map[string]any{"scope": rapid.OneOf(scopegen.String(4, 4), rapid.SampledFrom(scopegen.Damaged)).Draw(t, "scope")}
			for _, name := range []string{"client_id", "sub", "tenant"} {
				switch rapid.IntRange(0, 4).Draw(t, name) {
				case 0:
				case 1:
					cl[name] = 7.0
				case 2:
					cl[name] = "acme"
				default:
					cl[name] = oddText().Draw(t, name+" text")
				}
			}
			toks = append(toks, cl)
		}
		tenantClaim := rapid.SampledFrom([]string{"", "tenant"}).Draw(t, "tenant claim")
		opts := []gateway.Option{gateway.WithHook(func(_ *http.Request, d gateway.Decision) { check(t, &d, tenantClaim) })}
		if tenantClaim != "" {
			opts = append(opts, gateway.TenantClaim(tenantClaim))
		}
		cache, _ := match.NewCache(1 << 20)
		h := gateway.AuthRequest(cache, toks, gateway.Nginx(), opts...)
		r := httptest.NewRequest("GET", "/auth", nil)
		for name, vs := range scopegen.Headers(4).Draw(t, "headers") {
			for _, v := range vs {
				r.Header.Add(name, v)
			}
		}
		r.Header.Set("X-Original-Method", scopegen.Method().Draw(t, "method"))
		r.Header.Set("X-Original-URI", scopegen.Target(4).Draw(t, "target"))
		r.Header.Set("Authorization", "Bearer "+rapid.SampledFrom([]string{"0", "1", "2", "bad", "down"}).Draw(t, "token"))
		if tenantClaim == "" && rapid.Bool().Draw(t, "odd sources") {
			// Other sources of values that no HTTP server would pass on,
			// which a gRPC CheckRequest can carry, on a request that
			// keeps them (its target canonical, its token good).
			r.Header.Add("X-HTTP-Method-Override", oddText().Draw(t, "odd method"))
			r.Header.Add("X-HTTP-Method", oddText().Draw(t, "odd method 2"))
			r.Header.Add("X-Rewrite-URL", "/acme/"+oddText().Draw(t, "odd target"))
			r.Header.Set("X-Original-URI", "/acme/x")
			r.Header.Set("Authorization", "Bearer 0")
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}))
	t.Run("fields", rapid.MakeCheck(func(t *rapid.T) {
		text := oddText()
		d := gateway.Decision{Method: text.Draw(t, "method"), Target: text.Draw(t, "target"), Path: text.Draw(t, "path"),
			Refusal: rapid.SampledFrom([]gateway.Refusal{gateway.Decided, gateway.Conflict, gateway.QueryToken, gateway.WrongTenant}).Draw(t, "refusal"),
			Other:   gateway.Source{Name: text.Draw(t, "name"), Method: rapid.SampledFrom([]string{"", "DELETE"}).Draw(t, "other method"), Target: text.Draw(t, "other target")}}
		d.Allowed = rapid.Bool().Draw(t, "allowed")
		d.Reason = rapid.SampledFrom([]match.Reason{match.Granted, match.ReadOnly, match.NoMatch, match.NotCanonical}).Draw(t, "reason")
		// Patterns of every length around the bound: the item is written
		// in its parts below it, and clipped whole above.
		n := rapid.IntRange(gateway.MaxLogField-4, gateway.MaxLogField+1).Draw(t, "pattern length")
		pattern := strings.Repeat("p", n-1) + rapid.SampledFrom([]string{"*", "é"[:1], "\u2028"[:2], "\""}).Draw(t, "pattern end")
		if rapid.Bool().Draw(t, "short item") {
			pattern = text.Draw(t, "pattern")
		}
		d.Item = scope.Item{Class: rapid.SampledFrom([]scope.Class{scope.Read, scope.ReadWrite, scope.Plain}).Draw(t, "class"), Pattern: pattern, Name: text.Draw(t, "item name")}
		switch rapid.IntRange(0, 3).Draw(t, "token") {
		case 0:
			d.NoToken = true
		case 1:
			d.NoToken, d.TokenErr = true, errors.New(text.Draw(t, "error"))
		default:
			d.Claims = map[string]any{"client_id": text.Draw(t, "client"), "sub": "s", "tenant": text.Draw(t, "tenant")}
			if rapid.Bool().Draw(t, "scope error") {
				d.ScopeErr = errors.New(text.Draw(t, "scope error text"))
			}
		}
		check(t, &d, rapid.SampledFrom([]string{"", "tenant"}).Draw(t, "tenant claim"))
	}))
}

// Every allowed decision is logged with --log-allowed-sample 1, one in n
// with n, none with 0; every denial is logged whatever the sample, and a
// level above a decision's leaves it out.
func TestDecisionLogSampleAndLevel(t *testing.T) {
	allowed := gateway.Decision{Method: "GET", Target: "/a", Path: "/a", Decision: match.Decision{Allowed: true, Reason: match.Granted, Item: scope.Item{Class: scope.Read, Pattern: "a"}}}
	denied := gateway.Decision{Method: "PUT", Target: "/a", Path: "/a", Decision: match.Decision{Reason: match.ReadOnly, Item: scope.Item{Class: scope.Read, Pattern: "a"}}}
	tests := []struct {
		sample int
		level  slog.Level
		want   [2]int // lines of 10 allowed decisions, of 10 denials
	}{
		{1, slog.LevelInfo, [2]int{10, 10}},
		{3, slog.LevelInfo, [2]int{4, 10}},
		{0, slog.LevelInfo, [2]int{0, 10}},
		{1, slog.LevelWarn, [2]int{0, 10}},
		{1, slog.LevelError, [2]int{0, 0}},
	}
	for _, tc := range tests {
		var got [2]int
		for i, d := range []gateway.Decision{allowed, denied} {
			var out bytes.Buffer
			l := &decisionLog{out: &out, level: tc.level, sample: decisionSample(tc.sample)}
			for range 10 {
				l.hook(nil, d)
			}
			got[i] = strings.Count(out.String(), `"msg":"decision"`)
		}
		if got != tc.want {
			t.Errorf("sample %d, level %v: %v lines of allowed decisions and denials, want %v", tc.sample, tc.level, got, tc.want)
		}
	}
}

// A string is escaped as slog writes a string attribute and as
// encoding/json writes a string (marshal), whatever byte stands at any
// place of the eight-byte words the escape skips by: strings of every
// length up to three words of every class of byte (printable ASCII, '"',
// '\', control bytes, DEL, invalid UTF-8, U+2028, other runes).
func TestAppendEscapedIsSlogs(t *testing.T) {
	bytesOf := []string{"a", "~", " ", "\"", "\\", "\x00", "\x1f", "\n", "\b", "\f", "\x7f", "\x80", "\xff", "é", "\u2028", "\u2029", "€"[:2], "😀"}
	rapid.Check(t, func(t *rapid.T) {
		var sb strings.Builder
		for n := rapid.IntRange(0, 26).Draw(t, "length"); sb.Len() < n; {
			if rapid.IntRange(0, 3).Draw(t, "plain") > 0 {
				sb.WriteByte('p')
			} else {
				sb.WriteString(rapid.SampledFrom(bytesOf).Draw(t, "byte"))
			}
		}
		s := sb.String()
		var out bytes.Buffer
		drop := func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}
		slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{ReplaceAttr: drop})).Info("", "k", s)
		if got, want := `{"k":`+string(appendJSONString(nil, s, false))+"}\n", out.String(); got != want {
			t.Fatalf("%q: got %s, slog writes %s", s, got, want)
		}
		var enc bytes.Buffer
		e := json.NewEncoder(&enc)
		e.SetEscapeHTML(false)
		e.Encode(s)
		if got, want := string(appendJSONString(nil, s, true))+"\n", enc.String(); got != want {
			t.Fatalf("%q, marshalled: got %s, encoding/json writes %s", s, got, want)
		}
	})
}

// appendTime writes what time.RFC3339Nano does, on runs of times that
// stay in one second, move by a second or to another zone at the same
// instant: the second kept is used only for its own second and offset.
// Zones east and west, of minutes and of seconds (which RFC 3339 drops),
// and fractions with and without zeros at their end.
func TestAppendTimeIsRFC3339Nano(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		zones := []*time.Location{time.UTC, time.FixedZone("", 0), time.FixedZone("", 2*3600), time.FixedZone("", -9*3600-30*60),
			time.FixedZone("", 5*3600+45*60), time.FixedZone("", 561), time.FixedZone("", -14*3600)}
		at := time.Unix(rapid.Int64Range(-1<<36, 1<<38).Draw(t, "sec"), 0)
		for n := rapid.IntRange(1, 8).Draw(t, "times"); n > 0; n-- {
			switch rapid.IntRange(0, 2).Draw(t, "step") {
			case 0: // in the same second
			case 1:
				at = at.Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "seconds")) * time.Second)
			default:
				at = at.Add(time.Duration(rapid.Int64Range(-1e12, 1e12).Draw(t, "far")))
			}
			ns := rapid.OneOf(rapid.Just(0), rapid.IntRange(0, 999999999), rapid.Map(rapid.IntRange(1, 999), func(i int) int { return i * 1e6 })).Draw(t, "ns")
			at = time.Unix(at.Unix(), int64(ns)).In(rapid.SampledFrom(zones).Draw(t, "zone"))
			if got, want := string(appendTime(nil, at)), at.Format(time.RFC3339Nano); got != want {
				t.Fatalf("appendTime(%v) = %s, want %s", at, got, want)
			}
		}
	})
}
