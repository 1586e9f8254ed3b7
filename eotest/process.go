package eotest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/orchestra"
)

// AuthorityCommand is eotest's hidden subcommand that runs one authority
// of a Cluster with ClusterOptions.Processes: "eotest authority --dir DIR
// --log-level LEVEL", its sockets inherited as file descriptors 3 (TCP)
// and 4 (UDP). It is not for operators: eorchestra serve runs an
// authority.
const AuthorityCommand = "authority"

// AuthorityLog is the file, in an authority's directory, where a Cluster
// with ClusterOptions.Processes keeps everything its process wrote to
// stderr (its events as JSON lines, and a crash's trace).
const AuthorityLog = "authority.log"

// stopGrace is how long a stopped authority process may take to shut
// down after SIGTERM before it is killed.
const stopGrace = 2 * time.Minute

// ServeAuthority runs one authority in this process until ctx ends, as
// the child a Cluster starts with ClusterOptions.Processes: args are the
// ones the cluster passes (--dir DIR --log-level LEVEL --exit-with-stdin),
// the sockets it bound are file descriptors 3 (the HTTPS API's TCP
// listener) and 4 (the QUIC UDP socket), the settings are DIR's
// eorchestra.json, and the memory budget (orchestra.ApplyMemoryBudget) is
// applied to this process. Once the authority is up it writes "ready
// URL" to stdout, URL its status page ("-": none); its events go to
// stderr as JSON lines. With --exit-with-stdin it also stops when stdin
// ends (the parent died). It returns nil when ctx ends.
func ServeAuthority(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eotest "+AuthorityCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "the authority's `directory`")
	level := fs.String("log-level", "info", "the least `level` of the events written to stderr")
	stdinEOF := fs.Bool("exit-with-stdin", false, "stop when stdin ends")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return errors.New("eotest: authority: want --dir DIR and no arguments")
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("eotest: authority: --log-level: %w", err)
	}
	cfg, err := orchestra.LoadConfig(filepath.Join(*dir, orchestra.ConfigFile))
	if err != nil {
		return err
	}
	log := slog.New(eolog.NewJSONHandler(stderr, &eolog.Options{Level: lv}))
	limit, env := orchestra.ApplyMemoryBudget(cfg)
	log.Info("memory budget", "bytes", limit, "from_gomemlimit", env)

	tf, uf := os.NewFile(3, "tcp"), os.NewFile(4, "udp")
	if tf == nil || uf == nil {
		return errors.New("eotest: authority: no sockets on file descriptors 3 and 4")
	}
	tcp, err := net.FileListener(tf)
	tf.Close()
	if err != nil {
		uf.Close()
		return fmt.Errorf("eotest: authority: file descriptor 3: %w", err)
	}
	udp, err := net.FilePacketConn(uf)
	uf.Close()
	if err != nil {
		tcp.Close()
		return fmt.Errorf("eotest: authority: file descriptor 4: %w", err)
	}
	srv, err := orchestra.New(orchestra.Options{Dir: *dir, Config: cfg, Logger: log, TCP: tcp, UDP: udp})
	if err != nil {
		tcp.Close()
		udp.Close()
		return err
	}
	if *stdinEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	status := "-"
	if a := srv.StatusAddr(); a != nil {
		status = "http://" + a.String() + "/status"
	}
	fmt.Fprintf(stdout, "ready %s\n", status)
	err = srv.Run(ctx)
	if ctx.Err() != nil && err == nil {
		return nil
	}
	return err
}

// proc is an authority of a Cluster with ClusterOptions.Processes: its
// sockets, which the cluster keeps open across restarts and passes to
// each process it starts, and its current process.
type proc struct {
	name, dir string
	tcp, udp  *os.File
	status    string // the status page's URL, "" for none

	peak int64    // the largest peak resident memory (bytes) of its exited processes
	tail lineTail // stderr's last lines
}

// childLevel is the level of the events that a child's stderr carries:
// the least one the cluster's logger takes.
func childLevel(log *slog.Logger) string {
	if log == nil {
		return "error"
	}
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn} {
		if log.Enabled(context.Background(), l) {
			return strings.ToLower(l.String())
		}
	}
	return "error"
}

// spawn starts authority i's (0-based) process and waits until it is up
// (or failed to start).
func (c *Cluster) spawn(i int) error {
	p := c.procs[i]
	command := c.opts.Command
	if len(command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("eotest: --processes: %w", err)
		}
		command = []string{exe, AuthorityCommand}
	}
	args := append(slices.Clone(command[1:]), "--dir", p.dir, "--log-level", childLevel(c.opts.Logger), "--exit-with-stdin")
	cmd := exec.Command(command[0], args...)
	cmd.ExtraFiles = []*os.File{p.tcp, p.udp} // 3 and 4
	logf, err := os.OpenFile(filepath.Join(p.dir, AuthorityLog), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		logf.Close()
		return err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		logf.Close()
		inR.Close()
		inW.Close()
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		logf.Close()
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err = cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		logf.Close()
		inW.Close()
		outR.Close()
		errR.Close()
		return fmt.Errorf("eotest: --processes: %w", err)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	done := make(chan struct{})
	c.cancels[i], c.dones[i] = cancel, done

	logged := make(chan struct{})
	go func() {
		defer close(logged)
		defer errR.Close()
		defer logf.Close()
		c.copyLog(p, errR, logf)
	}()
	ready := make(chan string, 1)
	go func() {
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		if sc.Scan() {
			ready <- sc.Text()
		}
		close(ready)
		io.Copy(io.Discard, outR)
	}()
	exited := make(chan struct{})
	go func() {
		defer close(done)
		err := cmd.Wait()
		close(exited)
		inW.Close()
		<-logged
		if m := maxRSS(cmd.ProcessState); m > p.peak {
			p.peak = m
		}
		if err != nil && (ctx.Err() == nil || !isTerm(cmd.ProcessState)) {
			err = fmt.Errorf("eotest: %s (process %d): %w; its last lines:\n%s\n(all in %s)", p.name, cmd.Process.Pid, err, p.tail.String(), filepath.Join(p.dir, AuthorityLog))
		} else {
			err = nil
		}
		c.errs[i] = err
	}()
	go func() { // Stop, Close, or the cluster's context: SIGTERM, then SIGKILL
		select {
		case <-exited:
			return
		case <-ctx.Done():
		}
		inW.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-exited:
		case <-t.C:
			cmd.Process.Kill()
		}
	}()

	select {
	case line, ok := <-ready:
		if !ok {
			<-done
			if c.errs[i] != nil {
				return c.errs[i]
			}
			return fmt.Errorf("eotest: %s exited before it was up; see %s", p.name, filepath.Join(p.dir, AuthorityLog))
		}
		url, ok := strings.CutPrefix(line, "ready ")
		if !ok {
			cancel()
			<-done
			return fmt.Errorf("eotest: %s: %q on stdout, want \"ready URL\"", p.name, line)
		}
		if url == "-" {
			url = ""
		}
		p.status = url
		return nil
	case <-c.ctx.Done():
		cancel()
		<-done
		return c.ctx.Err()
	}
}

// isTerm reports whether a process ended as a SIGTERM'd authority does:
// with status 0 (it shut down), or killed by the signal itself.
func isTerm(ps *os.ProcessState) bool {
	if ps.Success() {
		return true
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM
}

// copyLog copies a child's stderr to its log file, keeps its last lines,
// and hands the events to the cluster's logger, as an in-process
// authority's would reach it.
func (c *Cluster) copyLog(p *proc, r io.Reader, f io.Writer) {
	var h slog.Handler
	if c.opts.Logger != nil {
		h = c.opts.Logger.With("authority", p.name).Handler()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		line := sc.Bytes()
		f.Write(line)
		f.Write([]byte{'\n'})
		p.tail.add(string(line))
		if h == nil {
			continue
		}
		e, err := eolog.ParseEvent(line)
		if err != nil || !h.Enabled(context.Background(), e.Level) {
			continue
		}
		h.Handle(context.Background(), eventRecord(e))
	}
	io.Copy(f, r) // a line longer than the buffer: the rest, as it is
}

// eventRecord turns an event a child logged back into a record: the
// well-known attributes first, then the others in key order.
func eventRecord(e eolog.Event) slog.Record {
	r := slog.NewRecord(e.Time, e.Level, e.Msg, 0)
	for _, a := range []slog.Attr{eolog.Election(e.Election), eolog.Session(e.Session), eolog.Phase(e.Phase), eolog.Peer(e.Peer)} {
		if a.Value.String() != "" {
			r.AddAttrs(a)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Attrs)) {
		r.AddAttrs(jsonAttr(k, e.Attrs[k]))
	}
	return r
}

// jsonAttr is an attribute from a value as ParseEvent decodes it.
func jsonAttr(k string, v any) slog.Attr {
	switch v := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return slog.Int64(k, n)
		}
		if f, err := v.Float64(); err == nil {
			return slog.Float64(k, f)
		}
		return slog.String(k, v.String())
	case map[string]any:
		var as []any
		for _, gk := range slices.Sorted(maps.Keys(v)) {
			as = append(as, jsonAttr(gk, v[gk]))
		}
		return slog.Group(k, as...)
	}
	return slog.Any(k, v)
}

// lineTail keeps the last lines written to it.
type lineTail struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 20

func (t *lineTail) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	t.lines = append(t.lines, s)
	if len(t.lines) > tailLines {
		t.lines = slices.Delete(t.lines, 0, len(t.lines)-tailLines)
	}
}

func (t *lineTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}

// socketFiles turns an authority's sockets into the files its processes
// inherit, and closes them (the files hold the sockets open).
func socketFiles(s socks) (tcp, udp *os.File, err error) {
	defer s.close()
	tl, ok := s.tcp.(*net.TCPListener)
	uc, ok2 := s.udp.(*net.UDPConn)
	if !ok || !ok2 {
		return nil, nil, errors.New("eotest: --processes needs TCP and UDP sockets")
	}
	if tcp, err = tl.File(); err != nil {
		return nil, nil, err
	}
	if udp, err = uc.File(); err != nil {
		tcp.Close()
		return nil, nil, err
	}
	return tcp, udp, nil
}

// writeConfig writes cfg as dir's eorchestra.json, which the authority's
// process reads.
func writeConfig(dir string, cfg *orchestra.Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if _, err := orchestra.ParseConfig(b); err != nil {
		return fmt.Errorf("eotest: the configuration does not read back: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, orchestra.ConfigFile), append(b, '\n'), 0o600)
}

// processStatus reads a child's status report from its status page.
func processStatus(ctx context.Context, url string) (orchestra.StatusReport, error) {
	var r orchestra.StatusReport
	if url == "" {
		return r, errors.New("eotest: the authority serves no status page (status_listen off)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+".json", nil)
	if err != nil {
		return r, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("eotest: %s.json: %s", url, resp.Status)
	}
	return r, json.NewDecoder(resp.Body).Decode(&r)
}
