package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/eo-mixnet/eo/internal/testctx"

	"github.com/stretchr/testify/require"
)

// freePort returns a port free for both TCP and UDP on loopback.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestMultiProcess follows the deployment guide with real processes: two
// authorities made with eopeers, their packages exchanged, two eorchestra
// daemons, then eotest full --peers against them, and eolog.
func TestMultiProcess(t *testing.T) {
	bin := buildBinaries(t)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "%s %v: %s", name, args, stderr.String())
		return stdout.String()
	}

	root := t.TempDir()
	names := []string{"prod-a1", "prod-a2"}
	dirs := make([]string, len(names))
	ports := make([]int, len(names))
	for i, n := range names {
		dirs[i], ports[i] = filepath.Join(root, n), freePort(t)
		run("eopeers", "--dir", dirs[i], "--init", "--hostname", n, "--ip", "127.0.0.1", "--port", strconv.Itoa(ports[i]))
		pkg := run("eopeers", "--dir", dirs[i], "--show-mine")
		require.NoError(t, os.WriteFile(filepath.Join(root, n+".pkg"), []byte(pkg), 0o644))
	}
	// prod-a1 reads its passphrase from a file, prod-a2 from the environment.
	require.NoError(t, os.WriteFile(filepath.Join(dirs[0], "pass.txt"), []byte("correct horse battery staple\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dirs[0], "eorchestra.json"), []byte(`{"log_level":"warn","step_timeout":"60s","passphrase_file":"pass.txt"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dirs[1], "eorchestra.json"), []byte(`{"log_level":"warn","step_timeout":"60s"}`), 0o644))
	envs := [][]string{os.Environ(), append(os.Environ(), "EO_PASSPHRASE=another passphrase")}
	run("eopeers", "--dir", dirs[0], "--install", filepath.Join(root, "prod-a2.pkg"))
	run("eopeers", "--dir", dirs[1], "--install", filepath.Join(root, "prod-a1.pkg"))
	require.Contains(t, run("eopeers", "--dir", dirs[0], "--list"), "prod-a2")

	var daemons []*exec.Cmd
	var logs []*bytes.Buffer
	for i := range dirs {
		cmd := exec.Command(filepath.Join(bin, "eorchestra"), "serve", "--dir", dirs[i])
		cmd.Env = envs[i]
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		daemons, logs = append(daemons, cmd), append(logs, &stderr)
	}
	t.Cleanup(func() {
		for _, d := range daemons {
			d.Process.Kill()
			d.Wait()
		}
	})
	for _, p := range ports {
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err == nil {
				c.Close()
				break
			}
			require.True(t, time.Now().Before(deadline), "daemon on port %d did not start: %s %s", p, logs[0], logs[1])
			time.Sleep(50 * time.Millisecond)
		}
	}

	ctx := testctx.Context(t)
	out2 := t.TempDir()
	eotest := exec.CommandContext(ctx, filepath.Join(bin, "eotest"), "full", "--dir", dirs[0], "--peers", "prod-a2", "--vcount", "150",
		"--questions", "2", "--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))), "--out", out2, "--json")
	var stdout, stderr bytes.Buffer
	eotest.Stdout, eotest.Stderr = &stdout, &stderr
	require.NoError(t, eotest.Run(), "eotest: %s\ndaemons: %s\n%s", stderr.String(), logs[0], logs[1])
	var res struct {
		ElectionID  string   `json:"election_id"`
		Authorities []string `json:"authorities"`
		Counts      [][]struct {
			Count int `json:"count"`
		} `json:"counts"`
		TallyHash string `json:"tally_hash"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res), stdout.String())
	require.Equal(t, names, res.Authorities)
	require.Len(t, res.Counts, 2)
	for _, c := range res.Counts {
		total := 0
		for _, x := range c {
			total += x.Count
		}
		require.Equal(t, 150, total)
	}
	// Both authorities wrote the same record; the record verifies with
	// eoverify's code (eotest did), and the events are in the log.
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "elections", res.ElectionID, "tally.tar.gz"))
		require.NoError(t, err)
		tgz, err := os.ReadFile(filepath.Join(out2, "tally.tar.gz"))
		require.NoError(t, err)
		require.Equal(t, tgz, b)
	}
	ev := run("eolog", "--dir", dirs[1], "-n", "1000", "--election", res.ElectionID)
	require.Contains(t, ev, "tally summary")
	require.Contains(t, ev, "mix verified")

	// A failing request reaches eotest as a reason and a non-zero exit:
	// an authority that is not installed.
	bad := exec.CommandContext(ctx, filepath.Join(bin, "eotest"), "full", "--dir", dirs[0], "--peers", "prod-a9", "--vcount", "3",
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))))
	msg, err := bad.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(msg), "prod-a9")

	// The same election by steps, as an operator runs them by hand.
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	var created struct {
		ElectionID string   `json:"election_id"`
		PublicKeys []string `json:"public_keys"`
	}
	require.NoError(t, json.Unmarshal([]byte(run("eotest", "create", "--dir", dirs[0], "--peers", "prod-a2", "--id", "1234",
		"--questions", "2", "--listen", listen)), &created))
	require.Equal(t, "1234", created.ElectionID)
	require.Len(t, created.PublicKeys, 2)
	vdir := t.TempDir()
	run("eotest", "encrypt", "1234", "--dir", dirs[0], "--vcount", "40", "--out", vdir, "--listen", listen)
	var tallied struct {
		Checks          int  `json:"checks"`
		MultisetChecked bool `json:"multiset_checked"`
	}
	require.NoError(t, json.Unmarshal([]byte(run("eotest", "tally", "1234", "--dir", dirs[0], "--vfile", filepath.Join(vdir, "votes.jsonl"),
		"--listen", listen)), &tallied))
	require.True(t, tallied.MultisetChecked)
	require.Positive(t, tallied.Checks)

	// The daemons stop cleanly on SIGTERM.
	for i, d := range daemons {
		require.NoError(t, d.Process.Signal(syscall.SIGTERM))
		require.NoError(t, d.Wait(), "daemon %d: %s", i, logs[i])
	}
	daemons = nil

	// A wrong passphrase is a clean error at start; a passphrase file that
	// others may read is refused.
	wrong := exec.Command(filepath.Join(bin, "eorchestra"), "serve", "--dir", dirs[1])
	wrong.Env = append(os.Environ(), "EO_PASSPHRASE=not it")
	msg, err = wrong.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(msg), "wrong passphrase")
	require.NoError(t, os.Chmod(filepath.Join(dirs[0], "pass.txt"), 0o644))
	loose := exec.Command(filepath.Join(bin, "eorchestra"), "serve", "--dir", dirs[0])
	msg, err = loose.CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(msg), "mode 0600")
	// The key shares on disk are age files under the passphrase (an scrypt
	// stanza), mode 0600.
	shares, err := filepath.Glob(filepath.Join(dirs[0], "elections", "*", "q*.share"))
	require.NoError(t, err)
	require.NotEmpty(t, shares)
	for _, f := range shares {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(b, []byte("age-encryption.org/v1\n-> scrypt ")))
	}
}
