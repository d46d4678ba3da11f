package main

// The admin socket lets the record commands run while `serve` holds the
// database. bbolt locks its file for one process, so a command run beside
// a running server sends itself to the server instead: over a unix domain
// socket beside the database, PATH.admin.sock, it sends one JSON request
//
//	{"args": ["leads", "--format", "csv"], "cwd": "/abs/dir", "env": {"USER": "ada"}, "stdin": ""}
//
// and gets one JSON reply {"stdout": "...", "stderr": "...", "code": 0}.
// The server runs the very same command function with the server's open
// store, the client's folder for relative paths, and the reply's buffers
// for output. Only the record commands are served (adminCommands). A client
// that closes the connection before the reply cancels its command's
// context.
//
// Security: the socket has mode 0600 from the moment it appears (it is
// bound in a private temporary folder, made 0600, then renamed into
// place), in the database's folder (0700 when the store made it). Only the
// user who runs the server (and root) can connect, and that user can read
// the database and its key file anyway: the socket grants nothing new. A
// command that writes files (backup, export --out, the key file of rekey)
// writes them as the server's user.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/store"
)

// adminCommands are the commands the admin socket runs: those that read or
// change records in the database.
func adminCommands() []string {
	return []string{"leads", "quotes", "quote", "export", "correct", "erase", "consent", "handoff", "retention", "rekey", "backup", "compact", "token", "owner"}
}

// adminEnv are the environment variables a client sends with its request,
// because they change what its command means: who runs it (the audit log's
// default actor) and which database it names. Secrets are never sent.
func adminEnv() []string { return []string{"USER", "ALLMYLEADS_DB", "ALLMYLEADS_KEY_FILE"} }

const (
	// adminSuffix makes the admin socket's path from the database's.
	adminSuffix = ".admin.sock"
	// maxAdminRequest bounds a request's size.
	maxAdminRequest = 1 << 20
	// adminReadTimeout bounds how long a client may take to send its request.
	adminReadTimeout = 10 * time.Second
	// adminWriteTimeout bounds how long a client may take to read the reply.
	adminWriteTimeout = 30 * time.Second
	// maxUnixPath is the longest socket path every system takes (macOS's
	// sun_path is 104 bytes with the NUL, Linux's 108).
	maxUnixPath = 103
)

// adminRequest is one command sent to the admin socket.
type adminRequest struct {
	Args  []string          `json:"args"`            // the command line without the program name
	Cwd   string            `json:"cwd"`             // the client's folder, absolute: relative paths are resolved against it
	Stdin string            `json:"stdin,omitempty"` // the command's standard input
	Env   map[string]string `json:"env,omitempty"`   // the client's values of adminEnv()
}

// adminReply is the outcome of one command.
type adminReply struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
}

// adminSocketPath is the admin socket of the database at dbPath.
func adminSocketPath(dbPath string) string { return dbPath + adminSuffix }

// sharedStore is the running server's store, lent to a command that runs
// inside the server for a client of the admin socket.
type sharedStore struct {
	st     *store.Store
	cfg    Config         // the server's configuration: its Store section says where the key came from
	engine *engine.Engine // the server's engine, for commands that change conversations (handoff release)
}

// holds checks that the shared store is the database at path (as the
// client named it), so a command never changes another database than the
// one it was asked to.
func (s *sharedStore) holds(path string) error {
	own := s.st.Path()
	a, errA := os.Stat(own)
	b, errB := os.Stat(path)
	if errA == nil && errB == nil && os.SameFile(a, b) {
		return nil
	}
	if errA != nil || errB != nil {
		absOwn, _ := filepath.Abs(own)
		if absOwn == filepath.Clean(path) {
			return nil
		}
	}
	return fmt.Errorf("the server on this admin socket holds %s, not %s", own, path)
}

// abs resolves a path the user gave against the folder the command was run
// from: the client's when the command runs inside the server, else it is
// left as given (relative to this process's folder).
func (e *cliEnv) abs(path string) string {
	if path == "" || e.cwd == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(e.cwd, path)
}

// adminServer serves the admin socket of a running server.
type adminServer struct {
	st   *store.Store
	eng  *engine.Engine
	cfg  Config
	env  *cliEnv
	log  *slog.Logger
	ln   net.Listener
	path string
	sock os.FileInfo // the socket file as created, to remove only our own

	reqCtx    context.Context // commands' context: cancelled by stop
	cancel    context.CancelFunc
	closed    chan struct{} // closed when the listener is
	closeOnce sync.Once
	wg        sync.WaitGroup // the accept loop and the connections
}

// startAdmin listens on the admin socket of st's database and runs record
// commands sent to it against st, until ctx is cancelled (no new commands)
// and stop is called. stop waits for commands in flight (their context is
// cancelled) and removes the socket; call it before closing st. It fails
// when another live server answers on the socket or the socket cannot be
// made; a stale socket file left by a crash is replaced.
func startAdmin(ctx context.Context, cfg Config, st *store.Store, eng *engine.Engine, env *cliEnv) (stop func(), err error) {
	path := adminSocketPath(st.Path())
	ln, sock, err := listenAdmin(ctx, path)
	if err != nil {
		return nil, err
	}
	reqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a := &adminServer{
		st: st, eng: eng, cfg: cfg, env: env, log: newLogger(env), ln: ln, path: path, sock: sock,
		reqCtx: reqCtx, cancel: cancel, closed: make(chan struct{}),
	}
	a.wg.Add(1)
	go a.serve()
	unwatch := context.AfterFunc(ctx, a.closeListener)
	var once sync.Once
	return func() {
		once.Do(func() {
			unwatch()
			a.closeListener()
			a.cancel()
			a.wg.Wait()
		})
	}, nil
}

// listenAdmin makes the socket at path: bound in a private temporary
// folder beside it, given mode 0600, then renamed over path, so it is
// never reachable with a wider mode and a stale file is replaced in one
// step.
func listenAdmin(ctx context.Context, path string) (net.Listener, os.FileInfo, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, nil, fmt.Errorf("admin socket: %s exists and is not a socket; move it away", path)
		}
		live, err := adminLive(ctx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("admin socket: check %s: %w", path, err)
		}
		if live {
			return nil, nil, fmt.Errorf("admin socket: another allmyleads server answers on %s", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("admin socket: %w", err)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(path), ".admin-")
	if err != nil {
		return nil, nil, fmt.Errorf("admin socket: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	ln, err := listenUnix(tmp)
	if err != nil {
		return nil, nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	// The socket is made private before it appears under its real name,
	// so no other user can ever connect to it.
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin socket: make it private: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin socket: move it to %s: %w", path, err)
	}
	sock, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin socket: %w", err)
	}
	return ln, sock, nil
}

// listenUnix listens on a unix socket at path, through a short address when
// path is too long for the system.
func listenUnix(path string) (*net.UnixListener, error) {
	addr, done, err := unixAddr(path)
	if err != nil {
		return nil, err
	}
	defer done()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		return nil, tooLong(path, err)
	}
	// The file is renamed and removed by its path, not by the listener.
	ln.SetUnlinkOnClose(false)
	return ln, nil
}

// dialUnix connects to the unix socket at path.
func dialUnix(ctx context.Context, path string) (net.Conn, error) {
	addr, done, err := unixAddr(path)
	if err != nil {
		return nil, err
	}
	defer done()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", addr)
	if err != nil {
		return nil, tooLong(path, err)
	}
	return conn, nil
}

// unixAddr returns an address for the socket at path that fits in a
// sockaddr_un: path itself, or on Linux, when path is too long, the same
// file reached through an open descriptor of its folder
// (/proc/self/fd/N/NAME). done releases that descriptor; call it once the
// socket is bound or connected.
func unixAddr(path string) (addr string, done func(), err error) {
	if len(path) <= maxUnixPath || goruntime.GOOS != "linux" {
		return path, func() {}, nil
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return "", nil, err
	}
	addr = fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path))
	if len(addr) > maxUnixPath {
		dir.Close()
		return path, func() {}, nil
	}
	return addr, func() { dir.Close() }, nil
}

// tooLong explains a failure to use a socket whose path is over the limit.
func tooLong(path string, err error) error {
	if len(path) > maxUnixPath && errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("%w: the socket's path is %d bytes, more than this system takes; keep the database at a shorter path", err, len(path))
	}
	return err
}

// adminLive says whether a server answers on the socket at path: it
// connects and hangs up (the server takes that for a probe).
func adminLive(ctx context.Context, path string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := dialUnix(ctx, path)
	if err == nil {
		conn.Close()
		return true, nil
	}
	if noServer(err) {
		return false, nil
	}
	return false, err
}

// noServer says whether a dial error means nobody serves the socket: no
// file, or a file nobody listens on (left by a crash).
func noServer(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
}

// closeListener stops taking connections and removes the socket file if it
// is still ours.
func (a *adminServer) closeListener() {
	a.closeOnce.Do(func() {
		close(a.closed)
		a.ln.Close()
		if fi, err := os.Lstat(a.path); err == nil && os.SameFile(fi, a.sock) {
			if err := os.Remove(a.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				a.log.Warn("admin socket: could not remove the socket file", "path", a.path, "err", err)
			}
		}
	})
}

// serve accepts connections until the listener closes.
func (a *adminServer) serve() {
	defer a.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			select {
			case <-a.closed:
				return
			default:
			}
			// Out of descriptors or the like: wait a little, as net/http does.
			a.log.Warn("admin socket: accept failed", "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-a.closed:
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		a.wg.Add(1)
		go a.handle(conn)
	}
}

// handle reads one request, runs it and writes the reply.
func (a *adminServer) handle(conn net.Conn) {
	defer a.wg.Done()
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(adminReadTimeout))
	var req adminRequest
	if err := json.NewDecoder(io.LimitReader(conn, maxAdminRequest)).Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return // a probe: connected and hung up
		}
		a.reply(conn, adminReply{Stderr: fmt.Sprintf("allmyleads: admin socket: bad request: %v\n", err), Code: exitUsage})
		return
	}
	conn.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(a.reqCtx)
	defer cancel()
	// The client sends nothing more; its hanging up cancels the command.
	go func() {
		io.Copy(io.Discard, conn)
		cancel()
	}()
	a.reply(conn, a.exec(ctx, req))
}

func (a *adminServer) reply(conn net.Conn, rep adminReply) {
	conn.SetWriteDeadline(time.Now().Add(adminWriteTimeout))
	if err := json.NewEncoder(conn).Encode(rep); err != nil {
		a.log.Warn("admin socket: reply not delivered", "err", err)
	}
}

// exec runs one request's command with the server's store.
func (a *adminServer) exec(ctx context.Context, req adminRequest) adminReply {
	if len(req.Args) == 0 {
		return adminReply{Stderr: "allmyleads: admin socket: the request names no command\n", Code: exitUsage}
	}
	name := req.Args[0]
	if !slices.Contains(adminCommands(), name) {
		return adminReply{Stderr: fmt.Sprintf("allmyleads: %q does not run through the server's admin socket; only the record commands do (%s). Stop the server to run it.\n",
			name, strings.Join(adminCommands(), ", ")), Code: exitUsage}
	}
	if !filepath.IsAbs(req.Cwd) {
		return adminReply{Stderr: fmt.Sprintf("allmyleads: admin socket: cwd %q: want the client's absolute folder\n", req.Cwd), Code: exitUsage}
	}
	var out, errb bytes.Buffer
	env := &cliEnv{
		stdin: strings.NewReader(req.Stdin), stdout: &out, stderr: &errb,
		getenv: a.getenvFor(req.Env),
		shared: &sharedStore{st: a.st, cfg: a.cfg, engine: a.eng},
		cwd:    filepath.Clean(req.Cwd),
	}
	code := a.run(ctx, env, req.Args)
	a.log.Info("admin command", "command", name, "code", code)
	return adminReply{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// run runs the command; a panic is the command's failure, not the server's.
func (a *adminServer) run(ctx context.Context, env *cliEnv, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("admin command panicked", "command", args[0], "panic_type", fmt.Sprintf("%T", r), "stack", string(debug.Stack()))
			fmt.Fprintf(env.stderr, "allmyleads: %s failed inside the server (an internal error; the server's log has the details)\n", args[0])
			code = exitRuntime
		}
	}()
	return run(ctx, env, args)
}

// getenvFor is the environment of a command run for a client: the
// client's values of adminEnv(), the server's for everything else.
func (a *adminServer) getenvFor(client map[string]string) func(string) string {
	return func(k string) string {
		if slices.Contains(adminEnv(), k) {
			return client[k]
		}
		return a.env.getenv(k)
	}
}

// errInServer means the command ran inside the running server, which
// printed its output; code is its exit code.
type errInServer struct{ code int }

func (e *errInServer) Error() string {
	return fmt.Sprintf("ran inside the running server (exit %d)", e.code)
}

// forwardToServer sends the command line args to the server answering on
// the admin socket sock, prints its output and returns its exit code.
// answered is false, with no error, when no server answers there.
func forwardToServer(ctx context.Context, env *cliEnv, sock string, args []string) (code int, answered bool, err error) {
	conn, err := dialUnix(ctx, sock)
	if err != nil {
		if noServer(err) {
			return 0, false, nil
		}
		if errors.Is(err, fs.ErrPermission) {
			return 0, false, fmt.Errorf("the server's admin socket %s is not yours (mode 0600): run this as the user who runs `allmyleads serve`", sock)
		}
		return 0, false, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	cwd := env.cwd
	if cwd == "" {
		if cwd, err = os.Getwd(); err != nil {
			return 0, false, fmt.Errorf("admin socket: %w", err)
		}
	}
	req := adminRequest{Args: args, Cwd: cwd, Env: map[string]string{}}
	for _, k := range adminEnv() {
		if v := env.getenv(k); v != "" {
			req.Env[k] = v
		}
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return 0, false, fmt.Errorf("admin socket %s: send: %w", sock, err)
	}
	var rep adminReply
	if err := json.NewDecoder(conn).Decode(&rep); err != nil {
		if ctx.Err() != nil {
			return 0, false, fmt.Errorf("admin socket %s: %w (the command may still finish in the server)", sock, ctx.Err())
		}
		return 0, false, fmt.Errorf("admin socket %s: no reply (is the server stopping?): %w", sock, err)
	}
	io.WriteString(env.stdout, rep.Stdout)
	io.WriteString(env.stderr, rep.Stderr)
	return rep.Code, true, nil
}
