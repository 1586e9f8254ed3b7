package orchestra

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// ConfigFile is the daemon's configuration file in the authority's
// directory. It is optional: without it every setting has its default.
const ConfigFile = "eorchestra.json"

// Config is the daemon's configuration: eorchestra.json, parsed strictly
// (an unknown key, a repeated document or a value of the wrong type is an
// error). Durations are Go duration strings such as "90s".
type Config struct {
	// Listen is the address of the HTTPS API (TCP) and of the peer
	// protocol (QUIC, UDP, same port); default ":" and the port of the
	// identity's configuration.
	Listen string `json:"listen,omitempty"`
	// PublicURL is the base of the URLs this authority gives out
	// (tally_url); default https://<ip_address>:<port>.
	PublicURL string `json:"public_url,omitempty"`
	// MetricsListen, if set, also serves /metrics in plain HTTP there (for
	// a local Prometheus); /metrics is always on the HTTPS API.
	MetricsListen string `json:"metrics_listen,omitempty"`
	// StatusListen is the address of the status page (plain HTTP: /status,
	// /status.json), for the operator; default "127.0.0.1:0", loopback on
	// a free port, which the "authority starting" event gives ("status").
	// "off" serves it nowhere but on the HTTPS API, to the installed web
	// servers. Nothing on the page is secret, but it says what the
	// authority does: keep it on loopback or behind a proxy.
	StatusListen string `json:"status_listen,omitempty"`
	// PassphraseFile names the file (relative to the authority directory,
	// mode 0600 or stricter) whose content is the passphrase that encrypts
	// the key shares at rest; without it the passphrase is $EO_PASSPHRASE.
	PassphraseFile string `json:"passphrase_file,omitempty"`
	// LogLevel is debug, info, warn or error (info).
	LogLevel string `json:"log_level,omitempty"`
	// MaxVotesBytes bounds a downloaded vote file (4 GiB).
	MaxVotesBytes int64 `json:"max_votes_bytes,omitempty"`
	// MemoryBudget, in bytes, is the authority's soft memory limit, which
	// the process running one authority (eorchestra serve) applies with
	// ApplyMemoryBudget; 0 sizes it to the machine (MemoryLimit).
	MemoryBudget int64 `json:"memory_budget,omitempty"`
	// RoundTimeout is how long a key-generation round may stall before the
	// silent authorities are given up on (30s).
	RoundTimeout Duration `json:"round_timeout,omitempty"`
	// StepTimeout bounds every wait of a tally for a peer's step (a mix,
	// a decryption share, a signature), reset by progress (20m).
	StepTimeout Duration `json:"step_timeout,omitempty"`
	// SessionTimeout bounds a whole key generation or tally, wall clock
	// (2h).
	SessionTimeout Duration `json:"session_timeout,omitempty"`
	// ResendAfter is how long a wait stalls before the author of the
	// missing message is asked to send it again (15s).
	ResendAfter Duration `json:"resend_after,omitempty"`
	// CallbackTimeout is how long a callback is retried (30m).
	CallbackTimeout Duration `json:"callback_timeout,omitempty"`
	// Policy is this authority's own rules for the elections it takes
	// part in (minimum threshold and ballots, allowed owners, approval).
	Policy Policy `json:"policy,omitempty"`
}

// Duration is a time.Duration written as a Go duration string in JSON.
type Duration time.Duration

// UnmarshalJSON parses a duration string such as "30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v <= 0 {
		return fmt.Errorf("duration %q is not positive", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d Duration) or(def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

// withDefaults fills in every unset setting.
func (c Config) withDefaults() Config {
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.StatusListen == "" {
		c.StatusListen = "127.0.0.1:0"
	}
	if c.MaxVotesBytes == 0 {
		c.MaxVotesBytes = 4 << 30
	}
	c.RoundTimeout = Duration(c.RoundTimeout.or(30 * time.Second))
	c.StepTimeout = Duration(c.StepTimeout.or(20 * time.Minute))
	c.SessionTimeout = Duration(c.SessionTimeout.or(2 * time.Hour))
	c.ResendAfter = Duration(c.ResendAfter.or(15 * time.Second))
	c.CallbackTimeout = Duration(c.CallbackTimeout.or(30 * time.Minute))
	c.Policy = c.Policy.withDefaults()
	return c
}

// grace is how long the tally waits for stragglers once a step has what it
// needs (a decryption's t-th share, a quorum of signatures), and how long
// a restarted tally listens before it mixes: two resend_after, within
// 1 s … step_timeout/2.
func (c *Config) grace() time.Duration {
	return min(max(2*time.Duration(c.ResendAfter), time.Second), time.Duration(c.StepTimeout)/2)
}

func (c *Config) check() error {
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.StatusListen != "" && c.StatusListen != "off" {
		if _, _, err := net.SplitHostPort(c.StatusListen); err != nil {
			return fmt.Errorf("status_listen %q: %w", c.StatusListen, err)
		}
	}
	if c.MaxVotesBytes < 0 {
		return errors.New("max_votes_bytes is negative")
	}
	if c.MemoryBudget < 0 {
		return errors.New("memory_budget is negative")
	}
	return c.Policy.check()
}

// ParseConfig parses the content of eorchestra.json strictly.
func ParseConfig(data []byte) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("orchestra: %s: %w", ConfigFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("orchestra: %s: data after the configuration object", ConfigFile)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("orchestra: %s: %w", ConfigFile, err)
	}
	return &c, nil
}

// LoadConfig reads path; a missing file is the default configuration.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("orchestra: %w", err)
	}
	return ParseConfig(data)
}

// MinMemoryBudget is the least memory budget sized to the machine.
const MinMemoryBudget = 512 << 20

// MemoryLimit returns the authority's soft memory limit in bytes: the
// memory_budget setting, else half of the machine's memory (the smaller
// of the physical memory and the cgroup's memory.max, Linux), at least
// MinMemoryBudget; 0 (no limit) where the machine's memory is unknown.
func (c *Config) MemoryLimit() int64 {
	if c.MemoryBudget > 0 {
		return c.MemoryBudget
	}
	return budgetOf(machineMemory())
}

// budgetOf is the budget sized to a machine of total bytes (0: unknown).
func budgetOf(total int64) int64 {
	if total <= 0 {
		return 0
	}
	return max(total/2, MinMemoryBudget)
}

// ApplyMemoryBudget sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) to cfg.MemoryLimit(), for a process that runs
// one authority; not for one that runs many (tests, eotest's in-process
// clusters). If $GOMEMLIMIT is set it wins: the limit stays as the
// runtime read it. It returns the limit in force (0: none) and whether it
// came from the environment.
func ApplyMemoryBudget(cfg *Config) (limit int64, fromEnv bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		limit = debug.SetMemoryLimit(-1)
		if limit == 1<<63-1 { // math.MaxInt64: "off"
			limit = 0
		}
		return limit, true
	}
	limit = cfg.MemoryLimit()
	if limit > 0 {
		debug.SetMemoryLimit(limit)
	}
	return limit, false
}

// machineMemory returns the memory this process may use in bytes, 0 if
// unknown: MemTotal of /proc/meminfo, or the cgroup (v2) memory.max of
// this process if that is smaller.
func machineMemory() int64 {
	total := memTotal()
	if lim := cgroupMemoryMax(); lim > 0 && (total == 0 || lim < total) {
		total = lim
	}
	return total
}

// memTotal reads MemTotal (kB) from /proc/meminfo; 0 where there is none.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			return parseMemTotal(v)
		}
	}
	return 0
}

// parseMemTotal parses the value of /proc/meminfo's MemTotal line,
// "  16318480 kB", into bytes (0 if malformed).
func parseMemTotal(v string) int64 {
	num, ok := strings.CutSuffix(strings.TrimSpace(v), " kB")
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if !ok || err != nil || n <= 0 || n > 1<<53 {
		return 0
	}
	return n << 10
}

// cgroupMemoryMax reads the memory limit of this process's cgroup: v2's
// memory.max (the "0::PATH" line of /proc/self/cgroup), else v1's
// memory.limit_in_bytes (the "N:memory:PATH" line); 0 if none or "max".
func cgroupMemoryMax() int64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	read := func(file string) int64 {
		m, err := os.ReadFile(file)
		if err != nil {
			return 0
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(m)), 10, 64)
		if err != nil || n <= 0 {
			return 0 // "max"
		}
		return n
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			if n := read(path.Join("/sys/fs/cgroup", p, "memory.max")); n > 0 {
				return n
			}
		}
		if _, rest, ok := strings.Cut(line, ":"); ok {
			if p, ok := strings.CutPrefix(rest, "memory:"); ok {
				if n := read(path.Join("/sys/fs/cgroup/memory", p, "memory.limit_in_bytes")); n > 0 {
					return n
				}
			}
		}
	}
	return 0
}

// maxIDLen bounds election ids, which name directories.
const maxIDLen = 64

// checkID accepts election ids of 1 to 64 letters, digits, '-', '_' and
// '.', not starting with '.'.
func checkID(id string) error {
	if id == "" || len(id) > maxIDLen || id[0] == '.' {
		return fmt.Errorf("election id %q: 1 to %d characters, not starting with '.'", id, maxIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("election id %q: only letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}
