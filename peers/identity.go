package peers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/eo-mixnet/eo/internal/atomicfile"
)

// The layout of an authority's directory.
const (
	ConfigFile = "config.json" // Config, JSON, mode 0644
	CertFile   = "cert.pem"    // self-signed certificate, PEM, mode 0644
	KeyFile    = "key.pem"     // PKCS #8 private key, PEM, mode 0600
	PeersDir   = "peers"       // the trust store, mode 0700
)

// DefaultValidity is the lifetime of the certificate that Init makes.
const DefaultValidity = 10 * 365 * 24 * time.Hour

// ErrNotInitialized is returned by LoadIdentity for a directory without an
// identity.
var ErrNotInitialized = errors.New("peers: no identity here")

// Config is an authority's configuration file.
type Config struct {
	Hostname         string `json:"hostname"`
	IPAddress        string `json:"ip_address"`
	PrivateIPAddress string `json:"private_ip_address,omitempty"`
	// Port is the TCP port of the HTTPS API.
	Port int `json:"port"`
	// QUICPort is the UDP port of the QUIC transport.
	QUICPort int `json:"quic_port"`
	// Role is what this identity is, and what its package says: "authority"
	// or "webserver". A configuration written before roles existed has
	// none; LoadIdentity sets RoleAuthority then.
	Role Role `json:"role,omitempty"`
}

// InitOptions are the parameters of a new identity.
type InitOptions struct {
	Hostname  string
	IPAddress string
	// PrivateIPAddress is optional: the address on a private network that
	// "eopeers --show-mine --private-ip" puts in the package.
	PrivateIPAddress string
	// Port is the HTTPS port; QUICPort is the QUIC port, Port if zero.
	Port, QUICPort int
	// Validity is the certificate's lifetime, DefaultValidity if zero.
	Validity time.Duration
	// Now is the start of the certificate's validity, time.Now if zero.
	Now time.Time
	// Role is what this identity is, RoleAuthority if empty.
	Role Role
}

// An Identity is this authority: its directory, configuration, certificate
// and private key.
type Identity struct {
	Dir    string
	Config Config
	// TLS is the certificate and key as crypto/tls uses them.
	TLS tls.Certificate
	// Certificate is the parsed leaf and its fingerprint.
	Certificate *Certificate
	// CertificatePEM is the certificate as it is in CertFile.
	CertificatePEM []byte
}

func (o *InitOptions) check() error {
	if err := CheckHostname(o.Hostname); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	if _, err := netip.ParseAddr(o.IPAddress); err != nil {
		return fmt.Errorf("peers: ip address %q is not an IP address", o.IPAddress)
	}
	if o.PrivateIPAddress != "" {
		if _, err := netip.ParseAddr(o.PrivateIPAddress); err != nil {
			return fmt.Errorf("peers: private ip address %q is not an IP address", o.PrivateIPAddress)
		}
	}
	if o.Port < 1 || o.Port > 65535 {
		return fmt.Errorf("peers: port %d is out of range 1-65535", o.Port)
	}
	if o.QUICPort < 0 || o.QUICPort > 65535 {
		return fmt.Errorf("peers: quic port %d is out of range 1-65535", o.QUICPort)
	}
	if o.Validity < 0 {
		return errors.New("peers: negative certificate validity")
	}
	if o.Role != "" && !o.Role.Valid() {
		_, err := ParseRole(string(o.Role))
		return err
	}
	return nil
}

// InitIdentity creates an authority in dir (created with mode 0700 if
// missing): a configuration, an ECDSA P-256 key (mode 0600), a self-signed
// certificate for the host name and addresses, and an empty trust store.
// It refuses a directory that already holds any of these files.
func InitIdentity(dir string, o InitOptions) (*Identity, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.QUICPort == 0 {
		o.QUICPort = o.Port
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	for _, name := range []string{ConfigFile, KeyFile, CertFile, PeersDir} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("peers: %s is already initialized (%s exists)", dir, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("peers: %w", err)
		}
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	ips := []net.IP{net.ParseIP(o.IPAddress)}
	if o.PrivateIPAddress != "" && o.PrivateIPAddress != o.IPAddress {
		ips = append(ips, net.ParseIP(o.PrivateIPAddress))
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.Hostname, Organization: []string{"eo authority"}},
		DNSNames:              []string{o.Hostname},
		IPAddresses:           ips,
		NotBefore:             o.Now.Add(-time.Hour), // tolerate some clock skew
		NotAfter:              o.Now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cfg := Config{
		Hostname:         o.Hostname,
		IPAddress:        o.IPAddress,
		PrivateIPAddress: o.PrivateIPAddress,
		Port:             o.Port,
		QUICPort:         o.QUICPort,
		Role:             o.Role.orDefault(),
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	// The configuration goes last: its presence means a complete identity.
	if err := atomicfile.WriteFile(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CertFile), certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	if err := os.Mkdir(filepath.Join(dir, PeersDir), 0o700); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(cfgJSON, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	return LoadIdentity(dir)
}

// LoadIdentity reads the authority in dir. It refuses a private key file
// that is not a regular file or that its group or others may read or write.
func LoadIdentity(dir string) (*Identity, error) {
	cfgData, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s (run eopeers --init)", ErrNotInitialized, dir, ConfigFile)
	}
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	var cfg Config
	if err := json.Unmarshal(cfgData, &cfg); err != nil {
		return nil, fmt.Errorf("peers: %s: %v", filepath.Join(dir, ConfigFile), jsonErr(err))
	}
	o := InitOptions{Hostname: cfg.Hostname, IPAddress: cfg.IPAddress, PrivateIPAddress: cfg.PrivateIPAddress, Port: cfg.Port, QUICPort: cfg.QUICPort, Role: cfg.Role}
	if err := o.check(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, filepath.Join(dir, ConfigFile))
	}
	if cfg.QUICPort == 0 {
		cfg.QUICPort = cfg.Port
	}
	cfg.Role = cfg.Role.orDefault()

	keyName := filepath.Join(dir, KeyFile)
	fi, err := os.Lstat(keyName)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("peers: %s is not a regular file", keyName)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("peers: %s has mode %04o, readable by others; it must be 0600 (chmod 600 %s)", keyName, perm, keyName)
	}
	keyPEM, err := os.ReadFile(keyName)
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	cert, err := ParseCertificatePEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("peers: %s: %w", filepath.Join(dir, CertFile), err)
	}
	if err := cert.Leaf.VerifyHostname(cfg.Hostname); err != nil {
		return nil, fmt.Errorf("peers: %s is not for hostname %q", filepath.Join(dir, CertFile), cfg.Hostname)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error of X509KeyPair never holds key material.
		return nil, fmt.Errorf("peers: %s and %s: %v", CertFile, KeyFile, err)
	}
	return &Identity{Dir: dir, Config: cfg, TLS: pair, Certificate: cert, CertificatePEM: certPEM}, nil
}

// Hostname returns the authority's host name.
func (id *Identity) Hostname() string { return id.Config.Hostname }

// Role returns what this identity is: RoleAuthority unless it was
// initialized with another role.
func (id *Identity) Role() Role { return id.Config.Role.orDefault() }

// Fingerprint returns the fingerprint of the authority's certificate.
func (id *Identity) Fingerprint() Fingerprint { return id.Certificate.Fingerprint }

// Package returns the authority's peer package, with the private IP address
// in ip_address if private is true (an error if there is none), and the
// identity's role in role.
func (id *Identity) Package(private bool) (*Package, error) {
	ip := id.Config.IPAddress
	if private {
		if id.Config.PrivateIPAddress == "" {
			return nil, fmt.Errorf("peers: %s has no private ip address (set it with --init --private-ip)", id.Config.Hostname)
		}
		ip = id.Config.PrivateIPAddress
	}
	p := &Package{
		Certificate: string(id.CertificatePEM),
		IPAddress:   ip,
		Hostname:    id.Config.Hostname,
		Port:        id.Config.Port,
		Version:     PackageVersion,
		QUICPort:    id.Config.QUICPort,
		Role:        id.Role(),
		leaf:        id.Certificate,
	}
	return p, nil
}

// OpenStore opens the authority's trust store, which also trusts the
// authority's own certificate, under the identity's role (Store.TrustSelf).
func (id *Identity) OpenStore() (*Store, error) {
	s, err := OpenStore(filepath.Join(id.Dir, PeersDir))
	if err != nil {
		return nil, err
	}
	s.trustSelf(id.Hostname(), id.Fingerprint(), id.Role())
	return s, nil
}

// Open loads the authority in dir and opens its trust store: what a
// process that acts as the authority (the daemon, eotest) starts with.
func Open(dir string) (*Identity, *Store, error) {
	id, err := LoadIdentity(dir)
	if err != nil {
		return nil, nil, err
	}
	store, err := id.OpenStore()
	if err != nil {
		return nil, nil, err
	}
	return id, store, nil
}
