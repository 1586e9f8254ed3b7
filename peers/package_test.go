package peers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validPackageJSON(t *testing.T) ([]byte, *Identity) {
	id := newIdentity(t, "prod-a1", 5000)
	p, err := id.Package(false)
	require.NoError(t, err)
	return p.Marshal(), id
}

func TestPackageRoundTrip(t *testing.T) {
	data, id := validPackageJSON(t)
	p, err := ParsePackage(data, time.Now())
	require.NoError(t, err)
	require.Equal(t, "prod-a1", p.Hostname)
	require.Equal(t, "127.0.0.1", p.IPAddress)
	require.Equal(t, 5000, p.Port)
	require.Equal(t, 5000, p.QUICPort)
	require.Equal(t, PackageVersion, p.Version)
	require.Equal(t, id.Fingerprint(), p.Fingerprint())
	require.Equal(t, data, p.Marshal())
	require.NotContains(t, string(data), "\n")
	require.Equal(t, "127.0.0.1:5000", p.Address())
}

func TestPackageKeepsUnknownFields(t *testing.T) {
	data, _ := validPackageJSON(t)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	withExtra := append(bytes.TrimSuffix(data, []byte("}")),
		[]byte(`, "zone" : "eu-west" ,"weights":[1, 2,{"a":null}],"nested":{"x":true}}`+"\n")...)
	p, err := ParsePackage(withExtra, time.Now())
	require.NoError(t, err)
	require.Equal(t, []string{"zone", "weights", "nested"}, p.Unknown())
	out := p.Marshal()
	require.Contains(t, string(out), `"zone":"eu-west","weights":[1,2,{"a":null}],"nested":{"x":true}}`)
	p2, err := ParsePackage(out, time.Now())
	require.NoError(t, err)
	require.Equal(t, out, p2.Marshal())
}

func TestPackageLegacyOptionalFields(t *testing.T) {
	// No ip_address, no quic_port: peers resolve the hostname and use port.
	id := newIdentity(t, "legacy.example.org", 8443)
	data := fmt.Sprintf(`{"ssl_certificate":%q,"hostname":"legacy.example.org","port":8443,"version":2}`, id.CertificatePEM)
	p, err := ParsePackage([]byte(data), time.Now())
	require.NoError(t, err)
	require.Equal(t, 8443, p.EffectiveQUICPort())
	require.Equal(t, "legacy.example.org:8443", p.Address())
}

func TestPackageErrors(t *testing.T) {
	data, id := validPackageJSON(t)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &fields))
	with := func(key, raw string) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range fields {
			m[k] = v
		}
		if raw == "" {
			delete(m, key)
		} else {
			m[key] = json.RawMessage(raw)
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	certPEM := string(id.CertificatePEM)

	other := newIdentity(t, "prod-b1", 5000)
	rsaPEM := rsaCertPEM(t, "prod-a1")
	expired, err := InitIdentity(t.TempDir()+"/x", InitOptions{Hostname: "prod-a1", IPAddress: "127.0.0.1", Port: 1,
		Now: time.Now().Add(-48 * time.Hour), Validity: time.Hour})
	require.NoError(t, err)

	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not JSON"},
		{"bad json", []byte(`{"hostname":`), "not JSON"},
		{"garbage", []byte(`hello`), "not JSON"},
		{"array", []byte(`[1,2]`), "not a JSON object"},
		{"string", []byte(`"x"`), "not a JSON object"},
		{"trailing", append(append([]byte{}, data...), []byte(` {}`)...), "data after the JSON object"},
		{"trailing garbage", append(append([]byte{}, data...), 'x'), "data after the JSON object"},
		{"duplicate key", []byte(strings.Replace(string(data), `"port":5000`, `"port":5000,"port":6000`, 1)), `field "port" appears twice`},
		{"too big", append(data, bytes.Repeat([]byte(" "), MaxPackageSize)...), "more than the limit"},
		{"missing cert", with("ssl_certificate", ""), `field "ssl_certificate" is missing`},
		{"missing hostname", with("hostname", ""), `field "hostname" is missing`},
		{"missing port", with("port", ""), `field "port" is missing`},
		{"missing version", with("version", ""), `field "version" is missing`},
		{"huge cert", with("ssl_certificate", q(strings.Repeat("A", MaxCertificateSize+1))), "longer than 10000"},
		{"huge escaped cert", with("ssl_certificate", `"`+strings.Repeat(`\u0041`, 2000)+`"`), "ssl_certificate"},
		{"huge hostname", with("hostname", q(strings.Repeat("a", 300))), "longer than 253"},
		{"huge ip", with("ip_address", q(strings.Repeat("1", 100))), "longer than 64"},
		{"cert not string", with("ssl_certificate", `42`), "not a string"},
		{"hostname not string", with("hostname", `["a"]`), "not a string"},
		{"port string", with("port", `"5000"`), "not a small integer"},
		{"port float", with("port", `5000.5`), "not a small integer"},
		{"port exp", with("port", `5e3`), "not a small integer"},
		{"port huge", with("port", `99999999999999999999999`), "not a small integer"},
		{"port zero", with("port", `0`), "port 0 is out of range"},
		{"port high", with("port", `65536`), "port 65536 is out of range"},
		{"quic port high", with("quic_port", `70000`), "quic_port 70000 is out of range"},
		{"version 1", with("version", `1`), "election-orchestra"},
		{"version 3", with("version", `3`), "newer than this eo"},
		{"version 0", with("version", `0`), "version 0 is not valid"},
		{"version string", with("version", `"2"`), "not a small integer"},
		{"bad hostname", with("hostname", q("prod_a1")), "contains"},
		{"hostname slash", with("hostname", q("../etc")), "hostname"},
		{"hostname empty label", with("hostname", q("a..b")), "empty or overlong label"},
		{"hostname hyphen", with("hostname", q("-a")), "starting or ending"},
		{"bad ip", with("ip_address", q("300.1.1.1")), "not an IP address"},
		{"not pem", with("ssl_certificate", q("hello")), "no PEM block"},
		{"pem key", with("ssl_certificate", q("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")), `"PRIVATE KEY", not CERTIFICATE`},
		{"pem garbage der", with("ssl_certificate", q("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), "not an X.509 certificate"},
		{"pem trailing", with("ssl_certificate", q(certPEM+"extra")), "data after the PEM block"},
		{"two certs", with("ssl_certificate", q(certPEM+certPEM)), "data after the PEM block"},
		{"rsa", with("ssl_certificate", q(rsaPEM)), "not ECDSA P-256 or Ed25519"},
		{"cert for other host", with("ssl_certificate", q(string(other.CertificatePEM))), `not for hostname "prod-a1"`},
		{"expired", with("ssl_certificate", q(string(expired.CertificatePEM))), "certificate expired on"},
		{"many unknown", manyUnknown(data), "more than 64 unknown fields"},
		{"deep nesting", deepNesting(data), "not JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePackage(c.data, time.Now())
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrInvalidPackage)
			require.Contains(t, err.Error(), c.want)
			require.True(t, strings.HasPrefix(err.Error(), "peers: invalid package: "), err.Error())
			require.NotContains(t, err.Error(), "\n")
		})
	}
}

func manyUnknown(data []byte) []byte {
	var b strings.Builder
	b.Write(bytes.TrimSuffix(data, []byte("}")))
	for i := range 65 {
		fmt.Fprintf(&b, `,"x%d":1`, i)
	}
	b.WriteString("}")
	return []byte(b.String())
}

func deepNesting(data []byte) []byte {
	return append(bytes.TrimSuffix(data, []byte("}")),
		[]byte(`,"deep":`+strings.Repeat("[", 30000)+strings.Repeat("]", 30000)+"}")...)
}

func rsaCertPEM(t *testing.T, host string) string {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestParseCertificateP384Refused(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	_, err = ParseCertificate(der)
	require.ErrorContains(t, err, "not on P-256")
}

func TestCheckHostname(t *testing.T) {
	for _, h := range []string{"a", "prod-a1", "Prod-A1.example.org", "1.2.3.4", strings.Repeat("a", 63) + ".b"} {
		require.NoError(t, CheckHostname(h), h)
	}
	for _, h := range []string{"", ".", "a.", ".a", "a b", "a/b", "..", "a_b", "é", strings.Repeat("a", 64), "a-", strings.Repeat("a.", 127) + "aa"} {
		require.Error(t, CheckHostname(h), h)
	}
}

func TestFingerprintString(t *testing.T) {
	id := newIdentity(t, "a", 1)
	s := id.Fingerprint().String()
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, s)
	f, err := ParseFingerprint(s)
	require.NoError(t, err)
	require.Equal(t, id.Fingerprint(), f)
	for _, bad := range []string{"", "sha256:", "sha256:zz", s[7:], s + "00", "md5:" + s[7:]} {
		_, err := ParseFingerprint(bad)
		require.Error(t, err, bad)
	}
}
