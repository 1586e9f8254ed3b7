package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/internal/testctx"
	"github.com/eo-mixnet/eo/peers"
)

// guideHost is one machine of the deployment guide: its eo directory
// ($EO_DIR) and the operator's working directory, where the peer
// packages are written and copied to.
type guideHost struct {
	name string
	// addr is what the guide's eopeers --init says of the address, and
	// ip and port what the test says instead: loopback and a free port.
	addr     string
	ip       string
	port     int
	dir      string
	work     string
	pass     string // the daemon's passphrase, typed by the operator
	fp       string // the certificate's fingerprint, as eopeers --init printed it
	daemon   *exec.Cmd
	log      *guideBuffer
	finished chan error
}

// guideStep is one command of the guide, run on each of the hosts named.
type guideStep struct {
	on     []string
	cmd    string                    // exactly as the guide writes it
	stdin  func(h *guideHost) string // what the operator types, if anything
	daemon bool                      // runs until the end of the test
	check  func(t *testing.T, h *guideHost, stdout, stderr string)
}

// guideBuffer is a bytes.Buffer that a running process may write while
// the test reads it.
type guideBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *guideBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *guideBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestDeploymentGuide plays README.md's "Deployment" section with the real
// binaries: two authorities prod-a1 and prod-a2 and the web server prod-s1,
// each a directory given through $EO_DIR and a working directory, and
// every command of the guide run through sh exactly as written, in the
// guide's order. Only what cannot be the same on one machine is mapped:
// each host's address in eopeers --init becomes 127.0.0.1 and a free port,
// /etc/eo/ becomes the host's $EO_DIR, and /home/agoraelections/ lies in a
// temporary directory. The packages are copied between the working
// directories as the operators would. Every command's exit status and the
// key lines of its output are checked; so are the web server's Java
// keystore, the daemons' passphrase files, the record both authorities
// wrote, and the log. The test also checks that the code lines of the
// guide are exactly the commands it ran, so that the two agree word for
// word.
func TestDeploymentGuide(t *testing.T) {
	// The guide's eotest serves the ballots and receives the callbacks on
	// port 8000 (it says no --listen).
	if l, err := net.Listen("tcp", ":8000"); err != nil {
		t.Skipf("the guide's eotest listens on port 8000, which is taken here: %v", err)
	} else {
		l.Close()
	}
	bin := buildBinaries(t)
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)

	root := t.TempDir()
	home := filepath.Join(root, "home", "agoraelections")
	require.NoError(t, os.MkdirAll(home, 0o755))
	keystoreFile := filepath.Join(home, "keystore.jks")
	hosts := map[string]*guideHost{}
	for _, h := range []*guideHost{
		{name: "prod-a1", addr: "--ip 203.0.113.7 --port 5000", pass: "correct horse battery staple"},
		{name: "prod-a2", addr: "--ip 203.0.113.8 --port 5000", pass: "another passphrase, prod-a2's"},
		{name: "prod-s1", addr: "--ip 203.0.113.20 --port 443"},
	} {
		h.ip, h.port = "127.0.0.1", freePort(t)
		h.dir, h.work = filepath.Join(root, h.name, "eo"), filepath.Join(root, h.name, "work")
		require.NoError(t, os.MkdirAll(h.work, 0o755))
		hosts[h.name] = h
	}
	t.Cleanup(func() {
		for _, name := range []string{"prod-a1", "prod-a2"} {
			h := hosts[name]
			if h.daemon == nil {
				continue
			}
			h.daemon.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-h.finished:
				if err != nil {
					t.Errorf("%s: eorchestra serve after SIGTERM: %v\n%s", name, err, h.log)
				}
			case <-time.After(20 * time.Second):
				h.daemon.Process.Kill()
				<-h.finished
				t.Errorf("%s: eorchestra serve did not stop on SIGTERM\n%s", name, h.log)
			}
		}
	})
	ctx := testctx.Context(t)

	// local is the command as it runs on host h of this machine.
	local := func(h *guideHost, cmd string) string {
		return strings.NewReplacer(
			h.addr, fmt.Sprintf("--ip %s --port %d", h.ip, h.port),
			"/etc/eo/", h.dir+"/",
			"/home/agoraelections/", home+"/",
		).Replace(cmd)
	}
	env := func(h *guideHost) []string {
		var e []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			if k != "PATH" && !strings.HasPrefix(k, "EO_") {
				e = append(e, kv)
			}
		}
		return append(e, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "EO_DIR="+h.dir)
	}
	// daemonLogs are the daemons' output, for failure messages.
	daemonLogs := func() string {
		var s strings.Builder
		for _, name := range []string{"prod-a1", "prod-a2"} {
			if h := hosts[name]; h.log != nil {
				fmt.Fprintf(&s, "--- %s's eorchestra:\n%s", name, h.log)
			}
		}
		return s.String()
	}
	// copyPackage plays the operator who copies host h's package to the
	// other machines.
	copyPackage := func(t *testing.T, h *guideHost) {
		b, err := os.ReadFile(filepath.Join(h.work, h.name+".pkg"))
		require.NoError(t, err)
		for _, o := range hosts {
			if o != h {
				require.NoError(t, os.WriteFile(filepath.Join(o.work, h.name+".pkg"), b, 0o644))
			}
		}
	}
	// listed is eopeers --list's output as host name → fields.
	listed := func(t *testing.T, stdout string) map[string][]string {
		m := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				require.Len(t, f, 6, "eopeers --list: %q", line)
				m[f[0]] = f[1:]
			}
		}
		return m
	}
	// peerLine is what eopeers --list says of host p.
	peerLine := func(p *guideHost, role string) []string {
		port := strconv.Itoa(p.port)
		return []string{role, p.ip, port, port, p.fp}
	}
	noStderr := func(t *testing.T, stderr string) { require.Empty(t, stderr) }
	initialized := func(role string) func(t *testing.T, h *guideHost, stdout, stderr string) {
		return func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			m := regexp.MustCompile(`^initialized ` + h.name + ` \(` + role + `\) in (.*), certificate (sha256:[0-9a-f]{64})\n$`).FindStringSubmatch(stdout)
			require.NotNil(t, m, stdout)
			require.Equal(t, h.dir, m[1])
			h.fp = m[2]
			id, err := peers.LoadIdentity(h.dir)
			require.NoError(t, err)
			require.Equal(t, h.fp, id.Fingerprint().String())
		}
	}
	showMine := func(role string) func(t *testing.T, h *guideHost, stdout, stderr string) {
		return func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			require.Empty(t, stdout, "the package goes to the file")
			b, err := os.ReadFile(filepath.Join(h.work, h.name+".pkg"))
			require.NoError(t, err)
			p, err := peers.ParsePackage(b, time.Now())
			require.NoError(t, err)
			require.Equal(t, h.name, p.Hostname)
			require.Equal(t, peers.Role(role), p.EffectiveRole())
			require.Equal(t, h.ip, p.IPAddress)
			require.Equal(t, h.port, p.Port)
			require.Equal(t, h.fp, p.Fingerprint().String())
			copyPackage(t, h)
		}
	}
	installed := func(peer, role string) func(t *testing.T, h *guideHost, stdout, stderr string) {
		return func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			require.Equal(t, fmt.Sprintf("installed %s as %s, certificate %s\n", peer, role, hosts[peer].fp), stdout)
		}
	}
	inKeystore := func(peer string) func(t *testing.T, h *guideHost, stdout, stderr string) {
		return func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			fp := hosts[peer].fp
			require.Equal(t, fmt.Sprintf("%s is already installed with this package, as authority, certificate %s\n", peer, fp)+
				fmt.Sprintf("added %s to keystore %s, certificate %s\n", peer, keystoreFile, fp), stdout)
			// The Java web server reads it: a JKS file (default password)
			// whose trusted-certificate entry named after the authority
			// holds its certificate.
			f, err := os.Open(keystoreFile)
			require.NoError(t, err)
			defer f.Close()
			ks := keystore.New()
			require.NoError(t, ks.Load(f, []byte("changeit")))
			e, err := ks.GetTrustedCertificateEntry(peer)
			require.NoError(t, err)
			require.Equal(t, "X509", e.Certificate.Type)
			id, err := peers.LoadIdentity(hosts[peer].dir)
			require.NoError(t, err)
			require.Equal(t, id.Certificate.Leaf.Raw, e.Certificate.Content)
			fi, err := os.Stat(keystoreFile)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
		}
	}
	var electionID string
	steps := []guideStep{
		// 1. Each authority's identity and package.
		{on: []string{"prod-a1"}, cmd: "eopeers --init --hostname prod-a1 --ip 203.0.113.7 --port 5000", check: initialized("authority")},
		{on: []string{"prod-a1"}, cmd: "eopeers --show-mine > prod-a1.pkg", check: showMine("authority")},
		{on: []string{"prod-a2"}, cmd: "eopeers --init --hostname prod-a2 --ip 203.0.113.8 --port 5000", check: initialized("authority")},
		{on: []string{"prod-a2"}, cmd: "eopeers --show-mine > prod-a2.pkg", check: showMine("authority")},
		// 2. The web server's identity, package, trust store and keystore.
		{on: []string{"prod-s1"}, cmd: "eopeers --init --hostname prod-s1 --ip 203.0.113.20 --port 443 --role webserver", check: initialized("webserver")},
		{on: []string{"prod-s1"}, cmd: "eopeers --show-mine > prod-s1.pkg", check: showMine("webserver")},
		{on: []string{"prod-s1"}, cmd: "eopeers --install prod-a1.pkg", check: installed("prod-a1", "authority")},
		{on: []string{"prod-s1"}, cmd: "eopeers --install prod-a2.pkg", check: installed("prod-a2", "authority")},
		{on: []string{"prod-s1"}, cmd: "eopeers --install prod-a1.pkg --keystore /home/agoraelections/keystore.jks", check: inKeystore("prod-a1")},
		{on: []string{"prod-s1"}, cmd: "eopeers --install prod-a2.pkg --keystore /home/agoraelections/keystore.jks", check: inKeystore("prod-a2")},
		// 3. Each authority trusts the other and the web server.
		{on: []string{"prod-a1"}, cmd: "eopeers --install prod-a2.pkg", check: installed("prod-a2", "authority")},
		{on: []string{"prod-a2"}, cmd: "eopeers --install prod-a1.pkg", check: installed("prod-a1", "authority")},
		{on: []string{"prod-a1", "prod-a2"}, cmd: "eopeers --install prod-s1.pkg", check: installed("prod-s1", "webserver")},
		{on: []string{"prod-a1", "prod-a2"}, cmd: "eopeers --list", check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			other := hosts["prod-a2"]
			if h.name == "prod-a2" {
				other = hosts["prod-a1"]
			}
			require.Equal(t, map[string][]string{
				other.name: peerLine(other, "authority"),
				"prod-s1":  peerLine(hosts["prod-s1"], "webserver"),
			}, listed(t, stdout))
		}},
		// 4. The daemons, with the passphrase in a file of mode 0600.
		{on: []string{"prod-a1", "prod-a2"}, cmd: `echo '{"passphrase_file": "passphrase"}' > /etc/eo/eorchestra.json`, check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			b, err := os.ReadFile(filepath.Join(h.dir, "eorchestra.json"))
			require.NoError(t, err)
			require.JSONEq(t, `{"passphrase_file": "passphrase"}`, string(b))
		}},
		{on: []string{"prod-a1", "prod-a2"}, cmd: "(umask 077; cat > /etc/eo/passphrase)", stdin: func(h *guideHost) string { return h.pass + "\n" }, check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			fi, err := os.Stat(filepath.Join(h.dir, "passphrase"))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		}},
		{on: []string{"prod-a1", "prod-a2"}, cmd: "eorchestra serve", daemon: true},
		// 5. The test election.
		{on: []string{"prod-a1"}, cmd: "eotest full --vmnd --vcount 100 --peers prod-a2", check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			require.True(t, strings.HasPrefix(stderr, "eotest: --vmnd is accepted for compatibility and does nothing\n"), "stderr: %s", stderr)
			require.Equal(t, 1, strings.Count(stderr, "--vmnd"), stderr)
			m := regexp.MustCompile(`(?m)^election (\S+): 100 ballots per question, record verified \((\d+) checks\)$`).FindStringSubmatch(stdout)
			require.NotNil(t, m, "stdout: %s\nstderr: %s", stdout, stderr)
			electionID = m[1]
			checks, _ := strconv.Atoi(m[2])
			require.Positive(t, checks)
			require.Regexp(t, `(?m)^  question 0:( \S+→\d+)+$`, stdout)
			require.Regexp(t, `(?m)^  tally hash ni:///sha-256;\S+$`, stdout)
			require.NotContains(t, stdout, "blamed")
			// Both authorities keep the same record.
			a1, err := os.ReadFile(filepath.Join(hosts["prod-a1"].dir, "elections", electionID, "tally.tar.gz"))
			require.NoError(t, err)
			a2, err := os.ReadFile(filepath.Join(hosts["prod-a2"].dir, "elections", electionID, "tally.tar.gz"))
			require.NoError(t, err)
			require.Equal(t, a1, a2)
		}},
		{on: []string{"prod-a1"}, cmd: "eolog", check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			// The last 100 events, the election's among them: its key
			// generation, mixes, record and tally.
			require.Contains(t, stdout, "["+electionID+"] keygen: election created")
			require.Contains(t, stdout, "mix verified")
			require.Contains(t, stdout, "["+electionID+"] record: record written")
			require.Contains(t, stdout, "["+electionID+"] tally: tally summary")
		}},
		// 6. The web server is retired.
		{on: []string{"prod-a1", "prod-a2"}, cmd: "eopeers --remove prod-s1", check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			require.Equal(t, fmt.Sprintf("uninstalled prod-s1 (webserver), certificate %s is no longer trusted\n", hosts["prod-s1"].fp), stdout)
		}},
		{on: []string{"prod-a1", "prod-a2"}, cmd: "eopeers --list", check: func(t *testing.T, h *guideHost, stdout, stderr string) {
			noStderr(t, stderr)
			other := hosts["prod-a2"]
			if h.name == "prod-a2" {
				other = hosts["prod-a1"]
			}
			require.Equal(t, map[string][]string{other.name: peerLine(other, "authority")}, listed(t, stdout))
		}},
	}

	// The guide says these commands, in this order, and no others.
	var ran []string
	for _, s := range steps {
		ran = append(ran, s.cmd)
	}
	require.Equal(t, ran, guideCommands(t), "README.md's Deployment section and TestDeploymentGuide disagree")

	for _, s := range steps {
		for _, name := range s.on {
			h := hosts[name]
			if s.daemon {
				cmd := exec.Command(sh, "-c", "exec "+local(h, s.cmd))
				cmd.Dir, cmd.Env = h.work, env(h)
				h.log = &guideBuffer{}
				cmd.Stdout, cmd.Stderr = h.log, h.log
				require.NoError(t, cmd.Start(), "%s: %s", name, s.cmd)
				h.daemon, h.finished = cmd, make(chan error, 1)
				go func() { h.finished <- cmd.Wait() }()
				continue
			}
			cmd := exec.CommandContext(ctx, sh, "-c", local(h, s.cmd))
			cmd.Dir, cmd.Env = h.work, env(h)
			if s.stdin != nil {
				cmd.Stdin = strings.NewReader(s.stdin(h))
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			require.NoError(t, err, "%s: %s\nstdout: %s\nstderr: %s\n%s", name, s.cmd, stdout.String(), stderr.String(), daemonLogs())
			t.Logf("%s$ %s (%.1f s)", name, s.cmd, time.Since(start).Seconds())
			t.Run(name+": "+s.cmd, func(t *testing.T) {
				s.check(t, h, stdout.String(), stderr.String())
			})
			if t.Failed() {
				t.FailNow()
			}
		}
		if s.daemon {
			for _, name := range s.on {
				waitListening(t, hosts[name], daemonLogs)
			}
		}
	}
}

// waitListening waits until host h's daemon accepts connections on its
// port, and fails if it stops first.
func waitListening(t *testing.T, h *guideHost, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort(h.ip, strconv.Itoa(h.port)))
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-h.finished:
			h.finished <- err
			h.daemon = nil
			t.Fatalf("%s: eorchestra serve stopped: %v\n%s", h.name, err, logs())
		default:
		}
		require.True(t, time.Now().Before(deadline), "%s: eorchestra serve did not listen on port %d\n%s", h.name, h.port, logs())
		time.Sleep(50 * time.Millisecond)
	}
}

// guideCommands are the code lines of README.md's Deployment section, in
// order, without their comments.
func guideCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## Deployment\n")
	require.True(t, ok, "README.md has no Deployment section")
	section, _, _ = strings.Cut(section, "\n## ")
	comment := regexp.MustCompile(`\s+# .*$`)
	var cmds []string
	for _, line := range strings.Split(section, "\n") {
		// A code block inside a numbered item is indented by 7 spaces.
		if strings.HasPrefix(line, "       ") && strings.TrimSpace(line) != "" {
			cmds = append(cmds, comment.ReplaceAllString(strings.TrimSpace(line), ""))
		}
	}
	return cmds
}
