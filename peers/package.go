package peers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PackageVersion is the version of the peer packages that this eo writes and
// accepts. Version 1 was election-orchestra's; its authorities cannot run
// the eo protocol, so its packages are refused.
const PackageVersion = 2

// Limits on a peer package, checked before anything else is parsed.
const (
	// MaxPackageSize bounds a whole package, JSON and unknown fields
	// included.
	MaxPackageSize = 64 << 10
	// MaxCertificateSize bounds the PEM text of ssl_certificate (the old
	// eopeers allowed 10 000 characters).
	MaxCertificateSize = 10000
	// MaxHostnameLength is the longest DNS name.
	MaxHostnameLength = 253
	// maxIPLength bounds ip_address before it is parsed (the longest IPv6
	// text form is 45 characters).
	maxIPLength = 64
	// maxUnknownFields bounds the number of fields this eo does not know.
	maxUnknownFields = 64
	// maxRoleLength bounds role before it is compared with the known ones.
	maxRoleLength = 64
)

// ErrInvalidPackage is wrapped by every error about the content of a peer
// package.
var ErrInvalidPackage = errors.New("peers: invalid package")

// A Package is what one authority tells another about itself: one line of
// JSON with the fields of election-orchestra's peer packages plus eo's own.
// Fields that this eo does not know are kept and written back unchanged, so
// a package installed by an older eo loses nothing.
type Package struct {
	// Certificate is the authority's self-signed certificate in PEM
	// ("ssl_certificate"). Trust is pinned to exactly this certificate.
	Certificate string
	// IPAddress is the address peers dial ("ip_address"); may be empty, in
	// which case peers resolve Hostname.
	IPAddress string
	// Hostname names the authority ("hostname"); it is the key of the trust
	// store, it must be in the certificate, and it is compared without
	// regard to case.
	Hostname string
	// Port is the TCP port of the authority's HTTPS API ("port").
	Port int
	// Version is the package format version ("version"), PackageVersion.
	Version int
	// QUICPort is the UDP port of the authority's QUIC transport
	// ("quic_port"); 0 in a decoded package means "same as Port".
	QUICPort int
	// Role is what the peer is ("role"): RoleAuthority or RoleWebServer;
	// empty in a decoded package that has none, which means RoleAuthority
	// (see EffectiveRole). An installer may set it to override the
	// package's own.
	Role Role

	// unknown holds the fields this eo does not know, in the order they
	// came, as raw JSON.
	unknown []rawField

	// leaf is the parsed certificate, set by validate.
	leaf *Certificate
}

// A Certificate is a parsed peer certificate and its fingerprint.
type Certificate struct {
	Leaf        *x509.Certificate
	Fingerprint Fingerprint
}

type rawField struct {
	key   string
	value json.RawMessage
}

// ParsePackage decodes and validates one peer package: one JSON object,
// optionally followed by white space. It checks the sizes of the fields
// before parsing them, that no key is repeated, that the certificate is a
// single PEM "CERTIFICATE" block holding an ECDSA P-256 or Ed25519 X.509
// certificate valid for Hostname at the time now, and the ports and the
// version. Every error wraps ErrInvalidPackage and names the field.
func ParsePackage(data []byte, now time.Time) (*Package, error) {
	p, err := decodePackage(data)
	if err != nil {
		return nil, err
	}
	if err := p.validate(now); err != nil {
		return nil, err
	}
	return p, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPackage, fmt.Sprintf(format, args...))
}

// decodePackage parses the JSON of a package and checks the types and sizes
// of its fields, but not their meaning.
func decodePackage(data []byte) (*Package, error) {
	if len(data) > MaxPackageSize {
		return nil, invalid("%d bytes, more than the limit of %d", len(data), MaxPackageSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid("not JSON: %v", jsonErr(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalid("not a JSON object")
	}
	p := &Package{}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("not JSON: %v", jsonErr(err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, invalid("not JSON: object key is not a string")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid("not JSON: %v", jsonErr(err))
		}
		if seen[key] {
			return nil, invalid("field %q appears twice", truncate(key))
		}
		seen[key] = true
		if err := p.setField(key, raw); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, invalid("not JSON: %v", jsonErr(err))
	}
	// Only white space may follow the object.
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("data after the JSON object")
	}
	for _, k := range []string{"ssl_certificate", "hostname", "port", "version"} {
		if !seen[k] {
			return nil, invalid("field %q is missing", k)
		}
	}
	return p, nil
}

func (p *Package) setField(key string, raw json.RawMessage) error {
	switch key {
	case "ssl_certificate":
		return decodeString(key, raw, MaxCertificateSize, &p.Certificate)
	case "ip_address":
		return decodeString(key, raw, maxIPLength, &p.IPAddress)
	case "hostname":
		return decodeString(key, raw, MaxHostnameLength, &p.Hostname)
	case "port":
		return decodeInt(key, raw, &p.Port)
	case "version":
		return decodeInt(key, raw, &p.Version)
	case "quic_port":
		return decodeInt(key, raw, &p.QUICPort)
	case "role":
		var r string
		if err := decodeString(key, raw, maxRoleLength, &r); err != nil {
			return err
		}
		if !Role(r).Valid() {
			return invalid("role %q is not %q or %q", truncate(r), RoleAuthority, RoleWebServer)
		}
		p.Role = Role(r)
		return nil
	}
	if len(p.unknown) == maxUnknownFields {
		return invalid("more than %d unknown fields", maxUnknownFields)
	}
	p.unknown = append(p.unknown, rawField{key, slices.Clone(raw)})
	return nil
}

func decodeString(key string, raw json.RawMessage, max int, dst *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return invalid("field %q is not a string", key)
	}
	// The JSON text is at least as long as the string it holds.
	if len(raw) > 6*max+2 {
		return invalid("field %q is longer than %d characters", key, max)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return invalid("field %q: %v", key, jsonErr(err))
	}
	if len(s) > max {
		return invalid("field %q is longer than %d characters", key, max)
	}
	*dst = s
	return nil
}

func decodeInt(key string, raw json.RawMessage, dst *int) error {
	if len(raw) > 20 {
		return invalid("field %q is not a small integer", key)
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	if err != nil {
		return invalid("field %q is not a small integer", key)
	}
	*dst = int(n)
	return nil
}

func jsonErr(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of input"
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "json: ")
	return s
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// validate checks the meaning of the fields: hostname, address, ports,
// version and certificate.
func (p *Package) validate(now time.Time) error {
	if p.Version != PackageVersion {
		if p.Version == 1 {
			return invalid("version 1 is an election-orchestra package; eo needs version %d", PackageVersion)
		}
		if p.Version > PackageVersion {
			return invalid("version %d is newer than this eo understands (%d)", p.Version, PackageVersion)
		}
		return invalid("version %d is not valid (want %d)", p.Version, PackageVersion)
	}
	if err := CheckHostname(p.Hostname); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidPackage, err)
	}
	if p.IPAddress != "" {
		if _, err := netip.ParseAddr(p.IPAddress); err != nil {
			return invalid("ip_address %q is not an IP address", p.IPAddress)
		}
	}
	if p.Port < 1 || p.Port > 65535 {
		return invalid("port %d is out of range 1-65535", p.Port)
	}
	if p.QUICPort < 0 || p.QUICPort > 65535 {
		return invalid("quic_port %d is out of range 1-65535", p.QUICPort)
	}
	if p.Role != "" && !p.Role.Valid() {
		return invalid("role %q is not %q or %q", truncate(string(p.Role)), RoleAuthority, RoleWebServer)
	}
	c, err := ParseCertificatePEM([]byte(p.Certificate))
	if err != nil {
		return fmt.Errorf("%w: ssl_certificate: %w", ErrInvalidPackage, err)
	}
	if err := c.Leaf.VerifyHostname(p.Hostname); err != nil {
		return invalid("ssl_certificate is not for hostname %q", p.Hostname)
	}
	if now.IsZero() {
		// Loading the trust store: validity is checked at each handshake.
	} else if err := c.checkValidity(now); err != nil {
		return fmt.Errorf("%w: ssl_certificate: %w", ErrInvalidPackage, err)
	}
	p.leaf = c
	return nil
}

// CheckHostname reports whether h is a valid DNS host name: dot-separated
// labels of 1 to 63 letters, digits and hyphens, not starting or ending with
// a hyphen, at most 253 characters in all. Host names name files in the trust
// store, so nothing else is accepted.
func CheckHostname(h string) error {
	if h == "" {
		return errors.New("hostname is empty")
	}
	if len(h) > MaxHostnameLength {
		return fmt.Errorf("hostname is longer than %d characters", MaxHostnameLength)
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("hostname %q has an empty or overlong label", h)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("hostname %q has a label starting or ending with '-'", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("hostname %q contains %q", truncate(h), string(rune(c)))
			}
		}
	}
	return nil
}

// ParseCertificatePEM parses a single PEM "CERTIFICATE" block, with nothing
// but white space around it, holding an X.509 certificate with an ECDSA
// P-256 or an Ed25519 key.
func ParseCertificatePEM(data []byte) (*Certificate, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("PEM block is %q, not CERTIFICATE", truncate(block.Type))
	}
	if len(block.Headers) != 0 {
		return nil, errors.New("PEM block has headers")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("data after the PEM block")
	}
	return ParseCertificate(block.Bytes)
}

// ParseCertificate parses a DER X.509 certificate with an ECDSA P-256 or an
// Ed25519 key.
func ParseCertificate(der []byte) (*Certificate, error) {
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("not an X.509 certificate: %s", strings.TrimPrefix(err.Error(), "x509: "))
	}
	switch k := leaf.PublicKey.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ECDSA key is not on P-256")
		}
	default:
		return nil, fmt.Errorf("key type %T is not ECDSA P-256 or Ed25519", k)
	}
	return &Certificate{Leaf: leaf, Fingerprint: FingerprintOf(der)}, nil
}

func (c *Certificate) checkValidity(now time.Time) error {
	if now.Before(c.Leaf.NotBefore) {
		return fmt.Errorf("certificate is not valid before %s", c.Leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.Leaf.NotAfter) {
		return fmt.Errorf("certificate expired on %s", c.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParsedCertificate returns the package's certificate, parsed. It is nil
// for a package that was not validated.
func (p *Package) ParsedCertificate() *Certificate { return p.leaf }

// Fingerprint returns the fingerprint of the package's certificate; the zero
// Fingerprint for a package that was not validated.
func (p *Package) Fingerprint() Fingerprint {
	if p.leaf == nil {
		return Fingerprint{}
	}
	return p.leaf.Fingerprint
}

// Key returns the trust store's key for the package: its host name in lower
// case.
func (p *Package) Key() string { return strings.ToLower(p.Hostname) }

// EffectiveQUICPort returns QUICPort, or Port where QUICPort is 0.
func (p *Package) EffectiveQUICPort() int {
	if p.QUICPort != 0 {
		return p.QUICPort
	}
	return p.Port
}

// EffectiveRole returns Role, or RoleAuthority where Role is empty (a
// package written before roles existed is an authority's).
func (p *Package) EffectiveRole() Role { return p.Role.orDefault() }

// Marshal encodes the package as one line of JSON, without a final newline:
// the known fields in a fixed order (role, when set, after quic_port), then
// the unknown fields as they came.
// Decoding the result gives the same package, and encoding that gives the
// same bytes.
func (p *Package) Marshal() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	str := func(key, val string) {
		writeKey(&b, key)
		v, _ := json.Marshal(val) // a string always marshals
		b.Write(v)
	}
	num := func(key string, val int) {
		writeKey(&b, key)
		b.WriteString(strconv.Itoa(val))
	}
	str("ssl_certificate", p.Certificate)
	if p.IPAddress != "" {
		str("ip_address", p.IPAddress)
	}
	str("hostname", p.Hostname)
	num("port", p.Port)
	num("version", p.Version)
	if p.QUICPort != 0 {
		num("quic_port", p.QUICPort)
	}
	if p.Role != "" {
		str("role", string(p.Role))
	}
	for _, f := range p.unknown {
		writeKey(&b, f.key)
		var c bytes.Buffer
		if err := json.Compact(&c, f.value); err != nil {
			panic("peers: internal error: unknown field holds invalid JSON")
		}
		b.Write(c.Bytes())
	}
	b.WriteByte('}')
	return b.Bytes()
}

func writeKey(b *bytes.Buffer, key string) {
	if b.Len() > 1 {
		b.WriteByte(',')
	}
	k, _ := json.Marshal(key)
	b.Write(k)
	b.WriteByte(':')
}

// Unknown returns the names of the fields this eo does not know, in the
// order they came.
func (p *Package) Unknown() []string {
	names := make([]string, len(p.unknown))
	for i, f := range p.unknown {
		names[i] = f.key
	}
	return names
}

// Address returns the UDP address peers dial for the QUIC transport:
// IPAddress (or Hostname) and EffectiveQUICPort.
func (p *Package) Address() string {
	host := p.IPAddress
	if host == "" {
		host = p.Hostname
	}
	return netJoin(host, p.EffectiveQUICPort())
}
