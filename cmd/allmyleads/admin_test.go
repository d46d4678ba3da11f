package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// adminFixture is the records fixture's database held open by a "server":
// its store with an admin socket, as serve runs them.
type adminFixture struct {
	*recordsFixture
	st   *store.Store
	key  []byte
	cfg  Config
	stop func()
}

// startAdminFixture opens f's database and serves its admin socket until
// the end of the test.
func startAdminFixture(t *testing.T, f *recordsFixture) *adminFixture {
	t.Helper()
	key, _, err := store.LoadOrCreateKey(f.db, "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Path: f.db, Key: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.Store.Path = f.db
	stop, err := startAdmin(context.Background(), cfg, st, nil, serverEnv())
	if err != nil {
		t.Fatalf("startAdmin: %v", err)
	}
	t.Cleanup(stop) // before the store closes: cleanups run last first
	return &adminFixture{recordsFixture: f, st: st, key: key, cfg: cfg, stop: stop}
}

func serverEnv() *cliEnv {
	return &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
}

// send sends a raw command line to the admin socket, as a client does once
// it found the database locked.
func (a *adminFixture) send(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code, ok, err := forwardToServer(context.Background(), env, adminSocketPath(a.db), args)
	if err != nil || !ok {
		t.Fatalf("forward %q: answered %t, %v", args, ok, err)
	}
	return code, out.String(), errb.String()
}

func TestAdminSocketServesRecordCommands(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	fi, err := os.Lstat(adminSocketPath(a.db))
	if err != nil || fi.Mode()&fs.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v, mode %v", err, fi.Mode())
	}
	// The very command a user types, while the server holds the file.
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"leads", "--db", a.db, "--format", "csv"}); code != exitOK {
		t.Fatalf("leads while the server runs: exit %d: %s", code, errb.String())
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != fixPhone || rows[1][1] != "Ada Byron" {
		t.Errorf("leads through the socket = %q (%v)", rows, err)
	}
	// Changes go to the server's store, audited with the client's name.
	code, stdout, stderr := a.run(t, "", map[string]string{"USER": "ada"}, "quote", "mark-paid", "q1", "--ref", "pi_7")
	if code != exitOK || !strings.Contains(stdout, "marked paid") {
		t.Fatalf("mark-paid through the socket: exit %d %s %s", code, stdout, stderr)
	}
	code, stdout, _ = a.run(t, "", nil, "export", "--contact", fixPhone)
	var e store.Export
	if err := json.Unmarshal([]byte(stdout), &e); code != exitOK || err != nil || len(e.Quotes) != 1 || e.Quotes[0].PaymentRef != "pi_7" {
		t.Fatalf("export through the socket: exit %d %v", code, err)
	}
	actors := map[string]string{}
	for _, au := range e.Audit {
		actors[au.Action] = au.Actor
	}
	if actors["mark_paid"] != "cli:ada" {
		t.Errorf("audit actors = %v, want the client's user on the payment", actors)
	}
	// Usage errors and exit codes come back as the command gave them.
	if code, _, stderr := a.run(t, "", nil, "leads", "--format", "xml"); code != exitUsage || !strings.Contains(stderr, "--format") {
		t.Errorf("bad flag through the socket: exit %d %s", code, stderr)
	}
	if code, _, stderr := a.run(t, "", nil, "quote", "mark-paid", "nope", "--ref", "x"); code != exitInput || !strings.Contains(stderr, "not found") {
		t.Errorf("unknown quote through the socket: exit %d %s", code, stderr)
	}
	// Consent and correction reach the running store too.
	if code, _, stderr := a.run(t, "", nil, "correct", "--contact", fixPhone, "--set", "lead.company=Engines Ltd"); code != exitOK {
		t.Errorf("correct through the socket: exit %d %s", code, stderr)
	}
	if leads, _ := a.st.Leads(context.Background(), store.LeadFilter{}); len(leads) != 1 || leads[0].Company != "Engines Ltd" {
		t.Errorf("the server's store after correct: %+v", leads)
	}
}

func TestAdminResolvesPathsInTheClientsFolder(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, cwd: a.dir}
	// Every path relative: the config file, the database and the outputs.
	code := run(context.Background(), env, []string{"export", "--contact", fixPhone, "--out", "out/ada.json", "--db", "data/a.db", "--config", "allmyleads.yaml"})
	if code != exitOK {
		t.Fatalf("export --out: exit %d %s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(a.dir, "out", "ada.json")); err != nil {
		t.Errorf("export written elsewhere than the client's folder: %v", err)
	}
	// A server never serves another database than the one named.
	other := filepath.Join(a.dir, "other.db")
	os.WriteFile(other, nil, 0o600)
	shared := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		shared: &sharedStore{st: a.st, cfg: a.cfg}, cwd: a.dir}
	errb.Reset()
	if code := run(context.Background(), shared, []string{"leads", "--db", "other.db"}); code != exitRuntime || !strings.Contains(errb.String(), "holds") {
		t.Errorf("leads of another database inside the server: exit %d %s", code, errb.String())
	}
}

func TestAdminBackupWhileCommitsRun(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	ctx, cancel := context.WithCancel(context.Background())
	var commits atomic.Int64
	first := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if ctx.Err() != nil {
				done <- nil
				return
			}
			if err := a.st.Commit(context.Background(), leadTurn(i)); err != nil {
				done <- err
				return
			}
			if commits.Add(1) == 1 {
				close(first)
			}
		}
	}()
	<-first
	bk := filepath.Join(a.dir, "bk", "copy.db")
	code, out, errOut := a.run(t, "", nil, "backup", bk)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if code != exitOK || !strings.Contains(out, "wrote "+bk) {
		t.Fatalf("backup while committing: exit %d %s %s", code, out, errOut)
	}
	copyStore, err := store.Open(store.Options{Path: bk, Key: a.key})
	if err != nil {
		t.Fatalf("the backup does not open with the database's key: %v", err)
	}
	defer copyStore.Close()
	leads, err := copyStore.Leads(context.Background(), store.LeadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range leads {
		found = found || l.Phone == fixPhone
	}
	if !found || len(leads) < 2 || int64(len(leads)) > commits.Load()+1 {
		t.Errorf("backup holds %d leads (fixture's: %t) after %d commits", len(leads), found, commits.Load())
	}
}

// leadTurn is a new customer's first message.
func leadTurn(i int) *core.Turn {
	at := time.Now().UTC()
	phone := fmt.Sprintf("+1555020%04d", i)
	return &core.Turn{
		Inbound: &core.Inbound{Channel: "whatsapp", Contact: phone, ID: fmt.Sprintf("w%d", i), Time: at, Kind: core.InText, Text: "hello"},
		Session: &core.Session{Contact: phone, Flow: "greeting", Step: "start", Vars: map[string]any{}, Started: at, Updated: at, LastInbound: at},
		Contact: &core.Contact{Phone: phone, Status: "new", Created: at, Updated: at},
	}
}

func TestAdminRekeyOnline(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	newKey := filepath.Join(a.dir, "new.key")
	if code, _ := runKeygenTo(newKey); code != exitOK {
		t.Fatal("keygen failed")
	}
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }, cwd: a.dir}
	if code := run(context.Background(), env, []string{"rekey", "--new-key-file", "new.key", "--db", "data/a.db"}); code != exitOK {
		t.Fatalf("rekey while the server runs: exit %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "now holds the new key") {
		t.Errorf("rekey output: %s", out.String())
	}
	// The server goes on with the new key, and the key file holds it.
	if code, stdout, _ := a.run(t, "", nil, "leads", "--format", "json"); code != exitOK || !strings.Contains(stdout, "Ada Byron") {
		t.Errorf("leads after an online rekey: exit %d", code)
	}
	if err := a.st.Commit(context.Background(), leadTurn(1)); err != nil {
		t.Errorf("commit after an online rekey: %v", err)
	}
	a.stop()
	a.st.Close()
	key, _, err := store.LoadOrCreateKey(a.db, "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Path: a.db, Key: key})
	if err != nil {
		t.Fatalf("reopen with the replaced key file: %v", err)
	}
	st.Close()
	if _, err := store.Open(store.Options{Path: a.db, Key: a.key}); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("old key after an online rekey: %v", err)
	}
}

func runKeygenTo(path string) (int, string) {
	var out bytes.Buffer
	code := run(context.Background(), &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: io.Discard, getenv: func(string) string { return "" }}, []string{"keygen", "--out", path})
	return code, out.String()
}

func TestAdminEraseNeedsYes(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	// What a client on a terminal sends without --yes: the server cannot ask.
	code, _, stderr := a.send(t, "erase", "--contact", fixPhone, "--db", a.db)
	if code != exitUsage || !strings.Contains(stderr, "add --yes") || !strings.Contains(stderr, "admin socket") {
		t.Fatalf("erase without --yes through the socket: exit %d %s", code, stderr)
	}
	if leads, _ := a.st.Leads(context.Background(), store.LeadFilter{}); len(leads) != 1 {
		t.Fatalf("a refused erase changed the store: %d leads", len(leads))
	}
	code, out, stderr := a.run(t, "", nil, "erase", "--contact", fixPhone, "--yes", "--compact")
	if code != exitOK || !strings.Contains(out, "erased "+core.PhoneURN(fixPhone)) || !strings.Contains(out, "compacted") {
		t.Fatalf("erase --yes --compact through the socket: exit %d %s %s", code, out, stderr)
	}
	if leads, _ := a.st.Leads(context.Background(), store.LeadFilter{}); len(leads) != 0 {
		t.Errorf("after erase the server's store lists %d leads", len(leads))
	}
	// The running server compacted its own file and goes on with it.
	if code, _, stderr := a.run(t, "", nil, "leads"); code != exitOK {
		t.Errorf("leads after an online compaction: exit %d %s", code, stderr)
	}
}

func TestAdminRefusesOtherCommandsAndBadRequests(t *testing.T) {
	a := startAdminFixture(t, newRecordsFixture(t))
	for _, args := range [][]string{{"keygen"}, {"serve"}, {"chat"}, {"help"}, {"bench", "webhook"}} {
		code, out, stderr := a.send(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(stderr, "only the record commands") {
			t.Errorf("%q through the socket: exit %d %q %q", args, code, out, stderr)
		}
	}
	if code, _, stderr := a.send(t); code != exitUsage || !strings.Contains(stderr, "no command") {
		t.Errorf("empty request: exit %d %s", code, stderr)
	}
	// Raw wire: a relative cwd and a malformed request are refused.
	for _, raw := range []string{`{"args":["leads"],"cwd":"relative/dir"}`, `{"args":`} {
		conn, err := dialUnix(context.Background(), adminSocketPath(a.db))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, raw)
		if raw == `{"args":` {
			conn.(*net.UnixConn).CloseWrite()
		}
		var rep adminReply
		err = json.NewDecoder(conn).Decode(&rep)
		conn.Close()
		if err != nil || rep.Code != exitUsage || rep.Stderr == "" {
			t.Errorf("request %s: reply %+v, %v", raw, rep, err)
		}
	}
}

func TestAdminSocketLifecycle(t *testing.T) {
	f := newRecordsFixture(t)
	sock := adminSocketPath(f.db)
	// A socket file left by a crash: nobody listens on it.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	a := startAdminFixture(t, f)
	if code, _, stderr := a.run(t, "", nil, "leads"); code != exitOK {
		t.Fatalf("leads after replacing a stale socket: exit %d %s", code, stderr)
	}
	// A second server on the same socket is refused, and leaves the first alone.
	if _, err := startAdmin(context.Background(), a.cfg, a.st, nil, serverEnv()); err == nil || !strings.Contains(err.Error(), "another allmyleads server answers") {
		t.Fatalf("second admin server: %v", err)
	}
	if code, _, stderr := a.run(t, "", nil, "leads"); code != exitOK {
		t.Fatalf("first server after a refused second: exit %d %s", code, stderr)
	}
	// Stopping removes the socket; with the store closed, commands open the file again.
	a.stop()
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket after stop: %v", err)
	}
	a.st.Close()
	if code, out, stderr := a.run(t, "", nil, "leads"); code != exitOK || !strings.Contains(out, fixPhone) {
		t.Errorf("leads after the server stopped: exit %d %s", code, stderr)
	}
	// Something else at the socket's path is never removed.
	if err := os.WriteFile(sock, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Path: f.db, Key: a.key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := startAdmin(context.Background(), a.cfg, st, nil, serverEnv()); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("startAdmin over a regular file: %v", err)
	}
}

func TestAdminStopsTakingCommandsWhenItsContextEnds(t *testing.T) {
	f := newRecordsFixture(t)
	key, _, _ := store.LoadOrCreateKey(f.db, "", func(string) string { return "" })
	st, err := store.Open(store.Options{Path: f.db, Key: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := DefaultConfig()
	cfg.Store.Path = f.db
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := startAdmin(ctx, cfg, st, nil, serverEnv())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Lstat(adminSocketPath(f.db)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the socket is still there after the server's context ended")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAdminSocketBesideADeepDatabase(t *testing.T) {
	if goruntime.GOOS != "linux" {
		t.Skip("long socket paths go through /proc/self/fd on Linux only")
	}
	f := newRecordsFixture(t)
	deep := filepath.Join(f.dir, strings.Repeat("d", 60), strings.Repeat("e", 40))
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.db", "a.db.key", "a.db.keystore"} {
		if err := os.Rename(filepath.Join(filepath.Dir(f.db), name), filepath.Join(deep, name)); err != nil {
			t.Fatal(err)
		}
	}
	f.db = filepath.Join(deep, "a.db")
	if n := len(adminSocketPath(f.db)); n <= maxUnixPath {
		t.Fatalf("socket path is only %d bytes: the test needs a longer one", n)
	}
	a := startAdminFixture(t, f)
	if code, out, stderr := a.run(t, "", nil, "leads"); code != exitOK || !strings.Contains(out, fixPhone) {
		t.Errorf("leads through a long socket path: exit %d %s", code, stderr)
	}
}

// BenchmarkAdminLeads measures a record command sent to a running server:
// connect, request, the command inside the server, reply.
func BenchmarkAdminLeads(b *testing.B) {
	dir, err := os.MkdirTemp("", "aml")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db := filepath.Join(dir, "a.db")
	key, _, err := store.LoadOrCreateKey(db, "", func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(store.Options{Path: db, Key: key, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for i := range 20 {
		if err := st.Commit(context.Background(), leadTurn(i)); err != nil {
			b.Fatal(err)
		}
	}
	cfg := DefaultConfig()
	cfg.Store.Path = db
	stop, err := startAdmin(context.Background(), cfg, st, nil, serverEnv())
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	env := &cliEnv{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	args := []string{"leads", "--db", db, "--config", os.DevNull, "--format", "csv"}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), env, args); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
