// Command eopeers manages an eo authority's identity and the peers it
// trusts.
//
//	eopeers --init --hostname H --ip IP [--private-ip IP] [--port 5000] [--quic-port P] [--role authority|webserver]
//	eopeers --show-mine [--private-ip]
//	eopeers --install [--force] [--role authority|webserver] [--keystore F] FILE...   (FILE "-" reads standard input)
//	eopeers --uninstall [--keystore F] HOST...   (--remove is an alias)
//	eopeers --list
//	eopeers --show HOST
//
// Every command works on the authority directory given by --dir, else
// $EO_DIR, else /etc/eo. A running daemon sees installs and uninstalls
// without a restart. The formats are described in doc/peers.md.
//
// Every identity and every installed peer has a role: "authority" (the
// default, and what a package without a role is) or "webserver" (an
// election web server, the owner of its elections). --init --role sets the
// identity's, which --show-mine writes in its package; --install --role
// installs the packages under that role whatever they say.
//
// --keystore F, on a web server, also writes each installed peer's
// certificate into the Java keystore F (JKS) as a trusted-certificate
// entry named after the peer's host name, and --uninstall removes it. The
// keystore password is read from --keystore-password-file, else
// $EO_KEYSTORE_PASSWORD, else it is the Java default, "changeit".
//
// Output rules, followed everywhere in this file: data (packages, lists,
// what was done) goes to standard output; errors go to standard error as one
// line "eopeers: message", lower case, without a final period, and the exit
// status is 1 (2 for a usage error).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/peers"
)

const defaultDir = "/etc/eo"

// usePrivate is the value of --private-ip given without a value.
const usePrivate = "true"

// optionalValue is the type of --private-ip, which takes a value with
// --init and none with --show-mine. It calls itself "bool" so that the help
// does not show the value it takes when given none.
type optionalValue string

func (v *optionalValue) String() string     { return string(*v) }
func (v *optionalValue) Set(s string) error { *v = optionalValue(s); return nil }
func (v *optionalValue) Type() string       { return "bool" }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type options struct {
	dir                            string
	init, showMine, install, list  bool
	uninstall, remove, show, force bool
	hostname, ip, privateIP        string
	port, quicPort                 int
	role                           string
	keystore, keystorePasswordFile string
	getenv                         func(string) string
	stdin                          io.Reader
	stdout, stderr                 io.Writer
}

// run runs eopeers with args and returns its exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	o := &options{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	dir := getenv("EO_DIR")
	if dir == "" {
		dir = defaultDir
	}
	cmd := &cobra.Command{
		Use:   "eopeers",
		Short: "Manage this eo authority's identity and the peers it trusts",
		Long: "eopeers manages this eo authority's identity and the peers it trusts.\n\n" +
			"On each authority: eopeers --init, then eopeers --show-mine > NAME.pkg;\n" +
			"copy the file to the other authorities and run eopeers --install NAME.pkg there.",
		Example: "  eopeers --init --hostname prod-a1 --ip 203.0.113.7\n" +
			"  eopeers --show-mine > prod-a1.pkg\n" +
			"  eopeers --install prod-a2.pkg\n" +
			"  eopeers --install --role webserver prod-s1.pkg\n" +
			"  eopeers --list\n" +
			"  eopeers --uninstall prod-a2\n\n" +
			"  # on a web server (role webserver), whose Java server trusts the keystore:\n" +
			"  eopeers --install prod-a1.pkg --keystore /home/agoraelections/keystore.jks",
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          func(_ *cobra.Command, args []string) error { return o.run(args) },
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.dir, "dir", dir, "authority `directory` (default $EO_DIR, else "+defaultDir+")")
	f.Lookup("dir").DefValue = "" // the usage says it
	f.BoolVar(&o.init, "init", false, "create this authority's identity and an empty trust store")
	f.StringVar(&o.hostname, "hostname", "", "with --init: this authority's host `name`")
	f.StringVar(&o.ip, "ip", "", "with --init: this authority's public `IP` address")
	f.Var((*optionalValue)(&o.privateIP), "private-ip", "with --init: this authority's private `IP` address;\nwith --show-mine (no value): put the private address in the package")
	f.Lookup("private-ip").NoOptDefVal = usePrivate
	f.IntVar(&o.port, "port", 5000, "with --init: TCP port of the HTTPS API")
	f.IntVar(&o.quicPort, "quic-port", 0, "with --init: UDP port of the QUIC transport (default: --port)")
	f.BoolVar(&o.showMine, "show-mine", false, "print this authority's peer package")
	f.BoolVar(&o.install, "install", false, "install the peer packages in the files given (- for standard input)")
	f.StringVar(&o.role, "role", "", "with --init: this identity's `role`, authority (default) or webserver;\nwith --install: install the packages under this role, whatever they say")
	f.BoolVar(&o.force, "force", false, "with --install: replace a peer's certificate, change its role, or replace\nits certificate in the --keystore")
	f.BoolVar(&o.uninstall, "uninstall", false, "uninstall the peers given by host name, and stop trusting them at once")
	f.BoolVar(&o.remove, "remove", false, "same as --uninstall")
	f.StringVar(&o.keystore, "keystore", "", "with --install: also add each peer's certificate to this Java keystore (JKS)\n`file`, created if missing, as a trusted certificate named after its host;\nwith --uninstall: remove it from there")
	f.StringVar(&o.keystorePasswordFile, "keystore-password-file", "", "read the --keystore password from this `file` (default $EO_KEYSTORE_PASSWORD,\nelse the Java default, changeit)")
	f.BoolVar(&o.list, "list", false, "list the installed peers")
	f.BoolVar(&o.show, "show", false, "print the installed package of the peer given by host name")

	err := cmd.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "eopeers: %s\n", message(err))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// message is the text of an error as eopeers prints it: without the
// packages' own prefixes and final newlines or periods.
func message(err error) string {
	s := err.Error()
	s = strings.ReplaceAll(s, "peers: ", "")
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	return strings.ReplaceAll(s, "\n", " ")
}

func (o *options) run(args []string) error {
	o.uninstall = o.uninstall || o.remove
	modes := 0
	for _, m := range []bool{o.init, o.showMine, o.install, o.uninstall, o.list, o.show} {
		if m {
			modes++
		}
	}
	if modes != 1 {
		return usagef("give exactly one of --init, --show-mine, --install, --uninstall, --list, --show (see --help)")
	}
	// --private-ip takes its value with "=" or as the next word; pflag
	// leaves the next word as an argument when the flag has an optional
	// value.
	if o.init && o.privateIP == usePrivate {
		if len(args) != 1 {
			return usagef("--private-ip needs an address with --init")
		}
		o.privateIP, args = args[0], nil
	}
	if !o.init && o.privateIP != "" && !(o.showMine && o.privateIP == usePrivate) {
		return usagef("--private-ip takes no value except with --init")
	}
	if o.force && !o.install {
		return usagef("--force goes with --install")
	}
	if o.role != "" {
		if !o.init && !o.install {
			return usagef("--role goes with --init or --install")
		}
		if !peers.Role(o.role).Valid() {
			return usagef("--role is %q or %q, not %q", peers.RoleAuthority, peers.RoleWebServer, o.role)
		}
	}
	if o.keystore != "" && !o.install && !o.uninstall {
		return usagef("--keystore goes with --install or --uninstall")
	}
	if o.keystorePasswordFile != "" && o.keystore == "" {
		return usagef("--keystore-password-file goes with --keystore")
	}
	switch {
	case o.init:
		if len(args) != 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return o.doInit()
	case o.showMine:
		if len(args) != 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return o.doShowMine()
	case o.install:
		if len(args) == 0 {
			return usagef("--install needs at least one file")
		}
		return o.doInstall(args)
	case o.uninstall:
		if len(args) == 0 {
			return usagef("--uninstall needs at least one host name")
		}
		return o.doUninstall(args)
	case o.list:
		if len(args) != 0 {
			return usagef("unexpected argument %q", args[0])
		}
		return o.doList()
	default:
		if len(args) != 1 {
			return usagef("--show needs one host name")
		}
		return o.doShow(args[0])
	}
}

func (o *options) doInit() error {
	if o.hostname == "" || o.ip == "" {
		return usagef("--init needs --hostname and --ip")
	}
	id, err := peers.InitIdentity(o.dir, peers.InitOptions{
		Hostname:         o.hostname,
		IPAddress:        o.ip,
		PrivateIPAddress: o.privateIP,
		Port:             o.port,
		QUICPort:         o.quicPort,
		Role:             peers.Role(o.role),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "initialized %s (%s) in %s, certificate %s\n", id.Hostname(), id.Role(), id.Dir, id.Fingerprint())
	return nil
}

func (o *options) doShowMine() error {
	id, err := peers.LoadIdentity(o.dir)
	if err != nil {
		return err
	}
	p, err := id.Package(o.privateIP == usePrivate)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "%s\n", p.Marshal())
	return nil
}

func (o *options) open() (*peers.Identity, *peers.Store, error) {
	return peers.Open(o.dir)
}

func (o *options) readPackage(name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = o.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	// Read one byte more than the limit, so that ParsePackage reports an
	// oversized file as such.
	return io.ReadAll(io.LimitReader(r, peers.MaxPackageSize+1))
}

func (o *options) doInstall(files []string) error {
	id, store, err := o.open()
	if err != nil {
		return err
	}
	// Check every file before installing any.
	now := time.Now()
	pkgs := make([]*peers.Package, len(files))
	for i, name := range files {
		data, err := o.readPackage(name)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the name is said already
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return fmt.Errorf("%s: empty file", name)
		}
		p, err := peers.ParsePackage(data, now)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if p.Fingerprint() == id.Fingerprint() || p.Key() == strings.ToLower(id.Hostname()) {
			return fmt.Errorf("%s: this is the package of %s, this authority itself", name, p.Hostname)
		}
		pkgs[i] = p
	}
	// And the keystore, password included.
	var ks *javaKeystore
	if o.keystore != "" {
		if ks, err = o.openKeystore(); err != nil {
			return err
		}
		for _, p := range pkgs {
			if err := ks.checkAdd(p.Key(), p.ParsedCertificate().Leaf.Raw, o.force); err != nil {
				return err
			}
		}
	}
	err = o.installAll(store, files, pkgs, ks, now)
	if ks != nil {
		// What was installed goes into the keystore even if a later
		// package failed.
		if kerr := ks.save(); kerr != nil {
			if err == nil {
				err = fmt.Errorf("%w (the peers are installed in the trust store; run the command again to add them to the keystore)", kerr)
			}
			return err
		}
		for _, line := range ks.report {
			fmt.Fprintln(o.stdout, line)
		}
	}
	return err
}

func (o *options) installAll(store *peers.Store, files []string, pkgs []*peers.Package, ks *javaKeystore, now time.Time) error {
	for i, p := range pkgs {
		said := p.EffectiveRole() // what the package says
		if o.role != "" {
			p.Role = peers.Role(o.role)
		}
		role := p.EffectiveRole()
		old, _ := store.Get(p.Hostname)
		r, err := store.Install(p, o.force)
		if err != nil {
			if errors.Is(err, peers.ErrRoleChanged) && o.role == "" && old != nil {
				err = fmt.Errorf("%w, or --role %s to keep it", err, old.EffectiveRole())
			}
			return fmt.Errorf("%s: %w", files[i], err)
		}
		as := string(role)
		if role != said {
			as = fmt.Sprintf("%s (--role overrides the package's %s)", role, said)
		}
		switch {
		case r == peers.Installed:
			fmt.Fprintf(o.stdout, "installed %s as %s, certificate %s\n", p.Key(), as, p.Fingerprint())
		case r == peers.Unchanged:
			fmt.Fprintf(o.stdout, "%s is already installed with this package, as %s, certificate %s\n", p.Key(), as, p.Fingerprint())
		case r == peers.Updated && old != nil && old.EffectiveRole() != role:
			fmt.Fprintf(o.stdout, "updated %s: role %s is now %s, certificate unchanged %s\n", p.Key(), old.EffectiveRole(), as, p.Fingerprint())
		case r == peers.Updated:
			fmt.Fprintf(o.stdout, "updated %s as %s, certificate unchanged %s\n", p.Key(), as, p.Fingerprint())
		case r == peers.Replaced && old != nil:
			fmt.Fprintf(o.stdout, "replaced %s as %s: certificate %s is no longer trusted, %s is\n", p.Key(), as, old.Fingerprint(), p.Fingerprint())
		default: // replaced by force, the old package unknown
			fmt.Fprintf(o.stdout, "replaced %s as %s, certificate %s\n", p.Key(), as, p.Fingerprint())
		}
		if ks == nil {
			continue
		}
		kr, err := ks.addTrusted(p.Key(), p.ParsedCertificate().Leaf.Raw, o.force, now)
		if err != nil {
			return err
		}
		switch kr {
		case jksAdded:
			ks.note("added %s to keystore %s, certificate %s", p.Key(), ks.name, p.Fingerprint())
		case jksUnchanged:
			ks.note("%s is already in keystore %s with this certificate", p.Key(), ks.name)
		case jksReplaced:
			ks.note("replaced %s in keystore %s, certificate %s", p.Key(), ks.name, p.Fingerprint())
		}
	}
	return nil
}

func (o *options) openKeystore() (*javaKeystore, error) {
	pw, err := keystorePassword(o.keystorePasswordFile, o.getenv)
	if err != nil {
		return nil, err
	}
	return openKeystore(o.keystore, pw)
}

func (o *options) doUninstall(hosts []string) error {
	_, store, err := o.open()
	if err != nil {
		return err
	}
	var ks *javaKeystore
	if o.keystore != "" {
		if ks, err = o.openKeystore(); err != nil {
			return err
		}
	}
	err = o.uninstallAll(store, hosts, ks)
	if ks != nil {
		if kerr := ks.save(); kerr != nil {
			if err == nil {
				err = fmt.Errorf("%w (the peers are uninstalled from the trust store; run the command again to remove them from the keystore)", kerr)
			}
			return err
		}
		for _, line := range ks.report {
			fmt.Fprintln(o.stdout, line)
		}
	}
	return err
}

func (o *options) uninstallAll(store *peers.Store, hosts []string, ks *javaKeystore) error {
	for _, h := range hosts {
		key := strings.ToLower(h)
		p, err := store.Uninstall(h)
		switch {
		case err == nil && p == nil:
			fmt.Fprintf(o.stdout, "uninstalled %s (its file was not a valid package)\n", key)
		case err == nil:
			fmt.Fprintf(o.stdout, "uninstalled %s (%s), certificate %s is no longer trusted\n", p.Key(), p.EffectiveRole(), p.Fingerprint())
		case ks != nil && errors.Is(err, peers.ErrNotInstalled):
			// Left in the keystore by an earlier run that failed halfway:
			// removing it there is all there is to do.
			if _, inKeystore, _ := ks.entryCertificate(key); !inKeystore {
				return err
			}
			fmt.Fprintf(o.stdout, "%s is not installed in the trust store\n", key)
		default:
			return err
		}
		if ks == nil {
			continue
		}
		old, err := ks.remove(key)
		if err != nil {
			return err
		}
		if old == nil {
			ks.note("%s was not in keystore %s", key, ks.name)
		} else {
			ks.note("removed %s from keystore %s, certificate %s", key, ks.name, peers.FingerprintOf(old))
		}
	}
	return nil
}

func (o *options) doList() error {
	_, store, err := o.open()
	if err != nil {
		return err
	}
	list, err := store.List()
	if err != nil {
		return err
	}
	for _, problem := range store.Problems() {
		fmt.Fprintf(o.stderr, "eopeers: warning: %s\n", message(problem))
	}
	w := tabwriter.NewWriter(o.stdout, 0, 0, 2, ' ', 0)
	for _, p := range list {
		addr := p.IPAddress
		if addr == "" {
			addr = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\n", p.Key(), p.EffectiveRole(), addr, p.Port, p.EffectiveQUICPort(), p.Fingerprint())
	}
	return w.Flush()
}

// doShow prints the installed package of host, with its role even where the
// stored file has none (it was installed before roles existed).
func (o *options) doShow(host string) error {
	_, store, err := o.open()
	if err != nil {
		return err
	}
	p, err := store.Get(host)
	if err != nil {
		return err
	}
	shown := *p
	shown.Role = p.EffectiveRole()
	fmt.Fprintf(o.stdout, "%s\n", shown.Marshal())
	return nil
}
