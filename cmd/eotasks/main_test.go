package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eo-mixnet/eo/orchestra"
)

// putTask writes a pending task as the daemon does.
func putTask(t *testing.T, dir, election, kind string) {
	t.Helper()
	now := time.Now().UTC().Round(time.Millisecond)
	task := orchestra.Task{ID: orchestra.TaskID(election, kind), Election: election, Kind: kind, Authority: "prod-a2", Director: "prod-a1",
		Owner: orchestra.TaskPeer{Name: "web.example.org", Fingerprint: "sha256:" + strings.Repeat("0a", 32)}, Threshold: 2,
		Authorities: []orchestra.TaskPeer{{Name: "prod-a1", Fingerprint: "sha256:" + strings.Repeat("1b", 32)},
			{Name: "prod-a2", Fingerprint: "sha256:" + strings.Repeat("2c", 32)}},
		Questions: 2, Widths: []int{1, 3}, Created: now, Expires: now.Add(24 * time.Hour), Status: orchestra.TaskPending}
	if kind == orchestra.TaskTally {
		task.VotesURL, task.VotesHash, task.Lines = "https://web.example.org/votes/"+election, "ni:///sha-256;abc", 150
		task.Ballots = []orchestra.TaskQuestion{{Question: 0, Width: 1, Accepted: 148, Excluded: 2}, {Question: 1, Width: 3, Accepted: 150}}
	}
	b, err := json.MarshalIndent(task, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, orchestra.TasksDir), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, orchestra.TasksDir, task.ID+".json"), b, 0o600))
}

type result struct {
	code           int
	stdout, stderr string
}

func eotasks(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr, func(k string) string { return env[k] })
	return result{code, stdout.String(), stderr.String()}
}

func TestTaskList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := eotasks(t, nil, "--dir", dir)
	require.Equal(t, result{0, "no pending task\n", ""}, r)
	r = eotasks(t, nil, "--dir", dir, "--json")
	require.Equal(t, result{0, "[]\n", ""}, r)

	putTask(t, dir, "7", orchestra.TaskCreate)
	putTask(t, dir, "7", orchestra.TaskTally)
	// $EO_DIR names the directory without --dir.
	r = eotasks(t, map[string]string{"EO_DIR": dir})
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"task 7-create: create election 7", "task 7-tally: tally election 7", "pending since", "expires",
		"prod-a2 (this authority)", "director     prod-a1", "web.example.org  sha256:0a0a",
		"2 of 2 authorities", "1 prod-a1  sha256:1b1b", "2 prod-a2  sha256:2c2c", "2 (widths 1, 3)",
		"votes_url    https://web.example.org/votes/7", "votes_hash   ni:///sha-256;abc", "vote lines   150",
		"question 0: 148 accepted, 2 excluded", "question 1: 150 accepted, 0 excluded",
	} {
		require.Contains(t, r.stdout, want)
	}
	r = eotasks(t, nil, "--dir", dir, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var tasks []orchestra.Task
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tasks))
	require.Len(t, tasks, 2)
	require.Equal(t, "7-create", tasks[0].ID)
	require.Equal(t, 148, tasks[1].Ballots[0].Accepted)
}

func TestTaskAcceptReject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	putTask(t, dir, "8", orchestra.TaskCreate)
	putTask(t, dir, "8", orchestra.TaskTally)

	r := eotasks(t, nil, "--dir", dir, "--accept", "8-create")
	require.Equal(t, result{0, "task 8-create accepted: the daemon creates election 8\n", ""}, r)
	r = eotasks(t, nil, "--dir", dir, "--json", "--reject", "8-tally", "--reason", "the polls are still open")
	require.Equal(t, 0, r.code, r.stderr)
	var task orchestra.Task
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &task))
	require.Equal(t, orchestra.TaskRejected, task.Status)
	require.Equal(t, "the polls are still open", task.Reason)
	require.NotEmpty(t, task.DecidedBy)

	// Decided tasks leave the list, and --all shows them with the decision.
	require.Equal(t, "no pending task\n", eotasks(t, nil, "--dir", dir).stdout)
	r = eotasks(t, nil, "--dir", dir, "--all")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "status       accepted ")
	require.Contains(t, r.stdout, "status       rejected ")
	require.Contains(t, r.stdout, ": the polls are still open")

	// Decided twice; unknown ids.
	r = eotasks(t, nil, "--dir", dir, "--reject", "8-create", "--reason", "too late")
	require.Equal(t, result{1, "", "eotasks: the task is already decided: task 8-create is accepted\n"}, r)
	r = eotasks(t, nil, "--dir", dir, "--accept", "8-tally")
	require.Equal(t, result{1, "", "eotasks: the task is already decided: task 8-tally is rejected\n"}, r)
	r = eotasks(t, nil, "--dir", dir, "--accept", "9-tally")
	require.Equal(t, result{1, "", "eotasks: no such task: 9-tally\n"}, r)
	r = eotasks(t, nil, "--dir", dir, "--accept", "../8-tally")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "eotasks: no such task")
	r = eotasks(t, nil, "--dir", t.TempDir(), "--accept", "8-create")
	require.Equal(t, result{1, "", "eotasks: no such task: 8-create\n"}, r)
}

func TestTaskUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	putTask(t, dir, "9", orchestra.TaskTally)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--reject", "9-tally"}, "eotasks: --reject needs a --reason\n"},
		{[]string{"--reject", "9-tally", "--reason", " "}, "eotasks: --reject needs a --reason\n"},
		{[]string{"--accept", "9-tally", "--reason", "fine"}, "eotasks: --reason goes with --reject\n"},
		{[]string{"--accept", "9-tally", "--reject", "9-tally", "--reason", "x"}, "eotasks: give --accept or --reject, not both\n"},
		{[]string{"--all", "--accept", "9-tally"}, "eotasks: --all lists tasks; it does not go with --accept or --reject\n"},
		{[]string{"9-tally"}, "eotasks: unexpected argument \"9-tally\" (see --help)\n"},
		{[]string{"--frobnicate"}, "eotasks: unknown flag: --frobnicate\n"},
	} {
		r := eotasks(t, nil, append([]string{"--dir", dir}, tc.args...)...)
		require.Equal(t, result{2, "", tc.want}, r, "%v", tc.args)
	}
	// Nothing was decided.
	r := eotasks(t, nil, "--dir", dir, "--json")
	require.Contains(t, r.stdout, `"status": "pending"`)
}
