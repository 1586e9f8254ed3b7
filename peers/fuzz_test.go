package peers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParsePackage: the peer package decoder never panics, its errors are
// one line, and what it accepts encodes to a canonical form that decodes to
// itself.
func FuzzParsePackage(f *testing.F) {
	f.Add([]byte(`{"ssl_certificate":"x","hostname":"a","port":1,"version":2}`))
	f.Add([]byte(`{"ssl_certificate":"x","hostname":"a","port":1,"version":2,"extra":[1,{"b":null}]}`))
	f.Add([]byte(`{"port":1,"port":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if _, err := ParsePackage(data, now); err != nil {
			if !strings.HasPrefix(err.Error(), "peers: invalid package: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("bad error text %q", err)
			}
		}
		p, err := decodePackage(data)
		if err != nil {
			return
		}
		enc := p.Marshal()
		p2, err := decodePackage(enc)
		if err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if enc2 := p2.Marshal(); !bytes.Equal(enc, enc2) {
			t.Fatalf("not canonical:\n%q\n%q", enc, enc2)
		}
		if p.Hostname != p2.Hostname || p.Certificate != p2.Certificate || p.Port != p2.Port ||
			p.Version != p2.Version || p.QUICPort != p2.QUICPort || p.IPAddress != p2.IPAddress || p.Role != p2.Role {
			t.Fatalf("fields changed: %+v %+v", p, p2)
		}
	})
}

// FuzzDecodeFrame: the message frame decoder never panics, never allocates
// beyond the limits, the stream reader agrees with the in-memory decoder,
// and what it accepts encodes back to the input.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(Header{Type: 1, Length: 3}.AppendHeader(nil))
	f.Add(append(Header{Type: 7, Length: 3}.AppendHeader(nil), "abc"...))
	f.Add(append(Header{Type: 0xffff, Streamed: true, Length: 1}.AppendHeader(nil), 0))
	f.Add([]byte{1, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxMessageSize: 1 << 10, MaxStreamSize: 1 << 12}
		h, body, err := DecodeFrame(data, lim)

		// The reader path used by the transport.
		r := bytes.NewReader(data)
		rh, rerr := ReadHeader(r, lim)
		var rbody []byte
		if rerr == nil {
			rbody, rerr = readBody(r, rh.Length)
		}
		if (err == nil) != (rerr == nil) {
			t.Fatalf("DecodeFrame says %v, the reader says %v", err, rerr)
		}
		if err != nil {
			return
		}
		if h != rh || !bytes.Equal(body, rbody) {
			t.Fatalf("decoders disagree: %+v %+v", h, rh)
		}
		max := lim.MaxMessageSize
		if h.Streamed {
			max = lim.MaxStreamSize
		}
		if h.Type == 0 || h.Length > uint64(max) {
			t.Fatalf("accepted %+v", h)
		}
		if enc := append(h.AppendHeader(nil), body...); !bytes.Equal(enc, data) {
			t.Fatalf("re-encoding gives %x, want %x", enc, data)
		}
	})
}

// TestWriteFuzzSeeds regenerates the seed corpus under testdata/fuzz when
// EO_WRITE_FUZZ_SEEDS=1: real packages (with certificates), packages with
// unknown fields and broken ones, and frames of each kind.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("EO_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set EO_WRITE_FUZZ_SEEDS=1 to regenerate testdata/fuzz")
	}
	write := func(target, name string, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := newIdentity(t, "prod-a1", 5000)
	p, err := id.Package(false)
	if err != nil {
		t.Fatal(err)
	}
	valid := p.Marshal()
	write("FuzzParsePackage", "valid", valid)
	write("FuzzParsePackage", "valid-newline", append(valid, '\n'))
	withUnknown := append(bytes.TrimSuffix(valid, []byte("}")), `,"zone":"eu","w":[1,{"a":null}],"u":"\u00e9"}`...)
	write("FuzzParsePackage", "unknown-fields", withUnknown)
	write("FuzzParsePackage", "no-role", bytes.Replace(valid, []byte(`,"role":"authority"`), nil, 1))
	write("FuzzParsePackage", "webserver", bytes.Replace(valid, []byte(`"role":"authority"`), []byte(`"role":"webserver"`), 1))
	write("FuzzParsePackage", "bad-role", bytes.Replace(valid, []byte(`"role":"authority"`), []byte(`"role":"owner"`), 1))
	write("FuzzParsePackage", "legacy-v1", []byte(fmt.Sprintf(`{"ssl_certificate":%q,"hostname":"prod-a1","port":5000,"version":1}`, id.CertificatePEM)))
	write("FuzzParsePackage", "duplicate", []byte(`{"hostname":"a","hostname":"b"}`))
	write("FuzzParsePackage", "trailing", append(append([]byte{}, valid...), "{}"...))
	write("FuzzParsePackage", "bad-pem", []byte(`{"ssl_certificate":"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n","hostname":"a","port":1,"version":2}`))
	write("FuzzParsePackage", "types", []byte(`{"ssl_certificate":1,"hostname":[],"port":"1","version":2.5}`))

	write("FuzzDecodeFrame", "whole", append(Header{Type: 1, Length: 5}.AppendHeader(nil), "hello"...))
	write("FuzzDecodeFrame", "empty", Header{Type: 2}.AppendHeader(nil))
	write("FuzzDecodeFrame", "streamed", append(Header{Type: 3, Streamed: true, Length: 128}.AppendHeader(nil), make([]byte, 128)...))
	write("FuzzDecodeFrame", "huge-length", Header{Type: 1, Length: 1 << 40}.AppendHeader(nil))
	write("FuzzDecodeFrame", "bad-version", []byte{2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	write("FuzzDecodeFrame", "bad-flags", []byte{1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	write("FuzzDecodeFrame", "short", []byte{1, 0, 0})
	write("FuzzDecodeFrame", "extra", append(Header{Type: 1, Length: 1}.AppendHeader(nil), "ab"...))
}
