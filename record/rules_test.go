package record

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// selfSigned returns a PEM certificate for key pub, signed by priv.
func selfSigned(t *testing.T, pub, priv any) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1, 0)} // long expired: dates are not checked
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// The certificate rules of doc/verify.md §8, as P4 applies them.
func TestCertificateRules(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	good := selfSigned(t, p256.Public(), p256)
	block, _ := pem.Decode([]byte(good))
	withHeader := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: block.Bytes}))
	accept := map[string]string{
		"plain":                 good,
		"CRLF":                  strings.ReplaceAll(good, "\n", "\r\n"),
		"white space":           "\n\n" + good + "\n \n",
		"expired, no key usage": good,
	}
	for name, c := range accept {
		_, err := Authority{Index: 1, Certificate: c}.certificate()
		require.NoError(t, err, name)
	}
	refuse := map[string]string{
		"text before":      "issued by us\n" + good,
		"text after":       good + "trailer\n",
		"headers":          withHeader,
		"two certificates": good + good,
		"P-384 key":        selfSigned(t, p384.Public(), p384),
		"RSA key":          selfSigned(t, rsaKey.Public(), rsaKey),
		"other block type": strings.ReplaceAll(good, "CERTIFICATE", "PUBLIC KEY"),
		"empty":            "",
	}
	for name, c := range refuse {
		_, err := Authority{Index: 1, Certificate: c}.certificate()
		require.Error(t, err, name)
	}

	// In a record: P4, malformed.
	fx := newElection(t, 3, 2, 4)
	f := clone(fx.files)
	var p Parameters
	require.NoError(t, json.Unmarshal(f[FileParameters], &p))
	p.Authorities[1].Certificate = "issued by us\n" + p.Authorities[1].Certificate
	f[FileParameters] = canonicalJSON(&p)
	rep := Verify(f, Options{})
	require.Equal(t, []string{"P4"}, checks(rep))
	require.Equal(t, ExitMalformed, rep.ExitCode())
}

// Integers beyond ±(2^53 − 1) make a JSON file malformed (doc/verify.md
// §2.2), whichever check reads it.
func TestJSONIntegerRange(t *testing.T) {
	require.NoError(t, checkJSONInts([]byte(`{"a":[9007199254740991,-9007199254740991,0]}`)))
	for _, bad := range []string{`[9007199254740992]`, `[-9007199254740992]`, `[1e3]`, `[1.0]`, `{"a":99999999999999999999999}`} {
		require.Error(t, checkJSONInts([]byte(bad)), bad)
	}
	require.NoError(t, checkJSONInts([]byte(`not json`)), "left to the decoder")

	fx := newElection(t, 3, 2, 4)
	f := clone(fx.files)
	var c []Count
	require.NoError(t, json.Unmarshal(f["q0/counts.json"], &c))
	c[0].Count = 1 << 60
	f["q0/counts.json"] = canonicalJSON(c)
	rep := Verify(f, Options{})
	require.True(t, slices.Contains(checks(rep), "C1"), "%v", checks(rep))
	require.Equal(t, ExitMalformed, rep.ExitCode())
	c[0].Count = 1<<53 - 1 // in range, but wrong: invalid
	f["q0/counts.json"] = canonicalJSON(c)
	rep = Verify(f, Options{})
	require.Equal(t, []string{"C1"}, checks(rep))
	require.Equal(t, ExitInvalid, rep.ExitCode())
}
