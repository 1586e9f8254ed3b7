// Command eopeers manages an eo authority's identity and the peers it
// trusts.
//
//	eopeers --init --hostname H --ip IP [--private-ip IP] [--port 5000] [--quic-port P]
//	eopeers --show-mine [--private-ip]
//	eopeers --install [--force] FILE...      (FILE "-" reads standard input)
//	eopeers --uninstall HOST...              (--remove is an alias)
//	eopeers --list
//	eopeers --show HOST
//
// Every command works on the authority directory given by --dir, else
// $EO_DIR, else /etc/eo. A running daemon sees installs and uninstalls
// without a restart. The formats are described in doc/peers.md.
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
	stdin                          io.Reader
	stdout, stderr                 io.Writer
}

// run runs eopeers with args and returns its exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	o := &options{stdin: stdin, stdout: stdout, stderr: stderr}
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
			"  eopeers --list\n" +
			"  eopeers --uninstall prod-a2",
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
	f.BoolVar(&o.force, "force", false, "with --install: replace a peer's certificate")
	f.BoolVar(&o.uninstall, "uninstall", false, "uninstall the peers given by host name, and stop trusting them at once")
	f.BoolVar(&o.remove, "remove", false, "same as --uninstall")
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
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "initialized %s in %s, certificate %s\n", id.Hostname(), id.Dir, id.Fingerprint())
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
	for i, p := range pkgs {
		var old *peers.Package
		if o.force {
			old, _ = store.Get(p.Hostname)
		}
		r, err := store.Install(p, o.force)
		if err != nil {
			return fmt.Errorf("%s: %w", files[i], err)
		}
		switch r {
		case peers.Installed:
			fmt.Fprintf(o.stdout, "installed %s, certificate %s\n", p.Key(), p.Fingerprint())
		case peers.Unchanged:
			fmt.Fprintf(o.stdout, "%s is already installed with this package\n", p.Key())
		case peers.Updated:
			fmt.Fprintf(o.stdout, "updated %s, certificate unchanged %s\n", p.Key(), p.Fingerprint())
		case peers.Replaced:
			fmt.Fprintf(o.stdout, "replaced %s: certificate %s is no longer trusted, %s is\n", p.Key(), old.Fingerprint(), p.Fingerprint())
		}
	}
	return nil
}

func (o *options) doUninstall(hosts []string) error {
	_, store, err := o.open()
	if err != nil {
		return err
	}
	for _, h := range hosts {
		p, err := store.Uninstall(h)
		if err != nil {
			return err
		}
		if p == nil {
			fmt.Fprintf(o.stdout, "uninstalled %s (its file was not a valid package)\n", strings.ToLower(h))
			continue
		}
		fmt.Fprintf(o.stdout, "uninstalled %s, certificate %s is no longer trusted\n", p.Key(), p.Fingerprint())
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
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", p.Key(), addr, p.Port, p.EffectiveQUICPort(), p.Fingerprint())
	}
	return w.Flush()
}

func (o *options) doShow(host string) error {
	_, store, err := o.open()
	if err != nil {
		return err
	}
	p, err := store.Get(host)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stdout, "%s\n", p.Marshal())
	return nil
}
