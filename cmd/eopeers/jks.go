package main

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pavlo-v-chernykh/keystore-go/v4"

	"github.com/eo-mixnet/eo/internal/atomicfile"
	"github.com/eo-mixnet/eo/peers"
)

// The Java keystore of a web server (--keystore): eopeers adds each
// installed peer's certificate to it as a trusted-certificate entry named
// after the peer's host name, and removes it with --uninstall, so that the
// Java web server trusts the authorities the operator installed. Only the
// JKS format is written; every other entry of the file (the web server's
// own key, other certificates) is kept as it is.

// defaultKeystorePassword is the Java default ("changeit"), used when
// neither --keystore-password-file nor $EO_KEYSTORE_PASSWORD is given.
const defaultKeystorePassword = "changeit"

// maxKeystoreSize bounds the keystore file read; a JKS file with a thousand
// certificates is under a megabyte.
const maxKeystoreSize = 16 << 20

// maxPasswordFileSize bounds --keystore-password-file.
const maxPasswordFileSize = 4 << 10

// JKS magic numbers (sun.security.provider.JavaKeyStore and JceKeyStore).
const (
	jksMagic   = 0xfeedfeed
	jceksMagic = 0xcececece
)

// A javaKeystore is a JKS file loaded into memory, changed, and written back
// atomically by save.
type javaKeystore struct {
	name     string // as the operator gave it, for messages
	path     string // the file written: name with symbolic links resolved
	password []byte
	ks       keystore.KeyStore
	exists   bool
	mode     fs.FileMode
	changed  bool
	// report holds what was done, printed once the file is written.
	report []string
}

// A jksResult says what addTrusted did.
type jksResult int

const (
	jksAdded jksResult = iota
	jksUnchanged
	jksReplaced
)

// keystorePassword returns the keystore password, from the file if one is
// named, else from $EO_KEYSTORE_PASSWORD, else the Java default, as the
// bytes the JKS integrity check uses (ISO 8859-1: keystore-go widens each
// byte into a Java char, so only characters up to U+00FF can be given).
func keystorePassword(file string, getenv func(string) string) ([]byte, error) {
	var pw string
	switch {
	case file != "":
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("--keystore-password-file: %w", unwrapPath(err))
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxPasswordFileSize+1))
		if err != nil {
			return nil, fmt.Errorf("--keystore-password-file: %s: %w", file, unwrapPath(err))
		}
		if len(data) > maxPasswordFileSize {
			return nil, fmt.Errorf("--keystore-password-file: %s is longer than %d bytes", file, maxPasswordFileSize)
		}
		// One final line end is not part of the password.
		pw = strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if pw == "" {
			return nil, fmt.Errorf("--keystore-password-file: %s is empty", file)
		}
	case getenv("EO_KEYSTORE_PASSWORD") != "":
		pw = getenv("EO_KEYSTORE_PASSWORD")
	default:
		pw = defaultKeystorePassword
	}
	if !utf8.ValidString(pw) {
		return nil, errors.New("--keystore: the keystore password is not UTF-8")
	}
	out := make([]byte, 0, len(pw))
	for _, r := range pw {
		if r > 0xff {
			return nil, fmt.Errorf("--keystore: the keystore password has the character %q, beyond U+00FF, which the JKS library cannot encode as Java does", r)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// openKeystore loads the JKS file name, or starts an empty one if there is
// none. It checks the password (the file's integrity digest) and the file's
// structure before anything is installed.
func openKeystore(name string, password []byte) (*javaKeystore, error) {
	k := &javaKeystore{
		name:     name,
		path:     name,
		password: password,
		ks:       keystore.New(keystore.WithOrderedAliases()),
		mode:     0o644,
	}
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		k.path = resolved // replace the target, not the link
	}
	f, err := os.Open(k.path)
	if errors.Is(err, fs.ErrNotExist) {
		// A new file; its directory must exist.
		if _, err := os.Stat(filepath.Dir(k.path)); err != nil {
			return nil, k.errorf("%w", unwrapPath(err))
		}
		return k, nil
	}
	if err != nil {
		return nil, k.errorf("%w", unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, k.errorf("%w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, k.errorf("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeystoreSize+1))
	if err != nil {
		return nil, k.errorf("%w", err)
	}
	if len(data) > maxKeystoreSize {
		return nil, k.errorf("larger than %d bytes; not a keystore eopeers writes", maxKeystoreSize)
	}
	if err := checkJKS(data); err != nil {
		return nil, k.errorf("%w", err)
	}
	if err := k.ks.Load(bytes.NewReader(data), password); err != nil {
		if strings.Contains(err.Error(), "invalid digest") {
			return nil, k.errorf("wrong keystore password, or the file is damaged (its integrity check failed); give the password with --keystore-password-file or $EO_KEYSTORE_PASSWORD")
		}
		return nil, k.errorf("not a valid JKS keystore: %v", err)
	}
	k.exists, k.mode = true, fi.Mode().Perm()
	return k, nil
}

func (k *javaKeystore) note(format string, args ...any) {
	k.report = append(k.report, fmt.Sprintf(format, args...))
}

func (k *javaKeystore) errorf(format string, args ...any) error {
	return fmt.Errorf("--keystore: %s: %s", k.name, fmt.Errorf(format, args...))
}

// entryCertificate returns the certificate of the trusted-certificate entry
// alias; ok is false if there is no entry alias, and err is set if it is
// another kind of entry.
func (k *javaKeystore) entryCertificate(alias string) (der []byte, ok bool, err error) {
	if k.ks.IsPrivateKeyEntry(alias) {
		return nil, true, k.errorf("its entry %q holds a private key; eopeers adds and removes only trusted certificates", alias)
	}
	e, err := k.ks.GetTrustedCertificateEntry(alias)
	if errors.Is(err, keystore.ErrEntryNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, k.errorf("entry %q: %v", alias, err)
	}
	return e.Certificate.Content, true, nil
}

// checkAdd reports whether addTrusted would succeed, without changing
// anything: an entry alias with another certificate needs force, and an
// entry alias holding a private key is never replaced.
func (k *javaKeystore) checkAdd(alias string, der []byte, force bool) error {
	old, ok, err := k.entryCertificate(alias)
	if err != nil || !ok || bytes.Equal(old, der) || force {
		return err
	}
	return k.errorf("it already trusts another certificate as %s (%s); use --force to replace it", alias, describeCertificate(old))
}

// addTrusted adds der as the trusted certificate alias, or replaces the one
// there if force is set.
func (k *javaKeystore) addTrusted(alias string, der []byte, force bool, now time.Time) (jksResult, error) {
	if err := k.checkAdd(alias, der, force); err != nil {
		return 0, err
	}
	old, ok, _ := k.entryCertificate(alias)
	if ok && bytes.Equal(old, der) {
		return jksUnchanged, nil
	}
	entry := keystore.TrustedCertificateEntry{
		CreationTime: now,
		Certificate:  keystore.Certificate{Type: "X509", Content: slices.Clone(der)},
	}
	if err := k.ks.SetTrustedCertificateEntry(alias, entry); err != nil {
		return 0, k.errorf("%v", err)
	}
	k.changed = true
	if ok {
		return jksReplaced, nil
	}
	return jksAdded, nil
}

// remove removes the trusted certificate alias and returns it; nil if there
// was none.
func (k *javaKeystore) remove(alias string) ([]byte, error) {
	old, ok, err := k.entryCertificate(alias)
	if err != nil || !ok {
		return nil, err
	}
	k.ks.DeleteEntry(alias)
	k.changed = true
	return old, nil
}

// save writes the keystore back, if it changed, atomically: a temporary file
// in the same directory with the old file's mode (and owner, where eopeers
// may set it), renamed over it. The encoding is read back and checked
// before the rename, so a failure leaves the old file as it was.
func (k *javaKeystore) save() error {
	if !k.changed {
		return nil
	}
	var buf bytes.Buffer
	if err := k.ks.Store(&buf, k.password); err != nil {
		return k.errorf("encoding: %v", err)
	}
	check := keystore.New()
	if err := check.Load(bytes.NewReader(buf.Bytes()), k.password); err != nil || len(check.Aliases()) != len(k.ks.Aliases()) {
		return k.errorf("internal error: the keystore does not read back (%v); the file was not changed", err)
	}
	err := atomicfile.WriteKeepingOwner(k.path, k.mode, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return k.errorf("%v; the file was not changed", err)
	}
	k.exists, k.changed = true, false
	return nil
}

// describeCertificate names a certificate of the keystore for a message.
func describeCertificate(der []byte) string {
	s := peers.FingerprintOf(der).String()
	if c, err := x509.ParseCertificate(der); err == nil && c.Subject.CommonName != "" {
		s = fmt.Sprintf("CN=%s, %s", c.Subject.CommonName, s)
	}
	return s
}

// checkJKS walks the structure of a JKS file and checks that every length
// in it fits in the file, so that a damaged or foreign file is a clean error
// before keystore-go allocates what its lengths say. It recognizes the
// other keystore formats a Java web server may have, to say what to do.
func checkJKS(data []byte) error {
	r := jksReader{data: data}
	magic := r.u32()
	switch {
	case len(data) == 0:
		return errors.New("empty file, not a JKS keystore (remove it, and eopeers creates one)")
	case len(data) >= 4 && magic == jceksMagic:
		return errors.New("a JCEKS keystore; eopeers writes only JKS (convert it: keytool -importkeystore -srcstoretype JCEKS -deststoretype JKS)")
	case data[0] == 0x30:
		return errors.New("looks like a PKCS #12 keystore (the default of keytool since Java 9); eopeers writes only JKS (convert it: keytool -importkeystore -srcstoretype PKCS12 -deststoretype JKS)")
	case r.err != nil || magic != jksMagic:
		return errors.New("not a JKS keystore (bad magic number)")
	}
	version := r.u32()
	if r.err == nil && version != 1 && version != 2 {
		return fmt.Errorf("JKS version %d is not 1 or 2", version)
	}
	count := r.u32()
	for i := uint32(0); i < count && r.err == nil; i++ {
		tag := r.u32()
		r.skip(int(r.u16())) // alias
		r.skip(8)            // creation time
		certs := uint32(1)
		switch tag {
		case 1: // private key: encrypted key, then the chain
			r.skip(int(r.u32()))
			certs = r.u32()
		case 2: // trusted certificate
		default:
			if r.err == nil {
				return fmt.Errorf("entry %d has unknown tag %d", i, tag)
			}
		}
		for j := uint32(0); j < certs && r.err == nil; j++ {
			if version == 2 {
				r.skip(int(r.u16())) // certificate type
			}
			r.skip(int(r.u32()))
		}
	}
	r.skip(20) // SHA-1 digest
	if r.err != nil {
		return errors.New("truncated or damaged JKS keystore")
	}
	return nil
}

type jksReader struct {
	data []byte
	err  error
}

func (r *jksReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.data) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	b := r.data[:n]
	r.data = r.data[n:]
	return b
}

func (r *jksReader) skip(n int) { r.take(n) }

func (r *jksReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *jksReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
