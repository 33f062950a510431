package dynamolocal

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Options configure a DynamoDB Local process.
type Options struct {
	// Port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// DataDir keeps the data in files there; empty keeps it in memory.
	DataDir string
	// Log receives the JVM's output; nil discards it.
	Log io.Writer
}

// Server is a running DynamoDB Local.
type Server struct {
	Endpoint string
	cmd      *exec.Cmd
	exited   chan struct{}
	tail     *tailBuffer
}

//go:embed Loopback.java
var loopbackSource []byte

func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// tailBuffer keeps the last few kilobytes of the JVM's output, to say why
// it stopped.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if strings.Contains(s, "Source launcher") || strings.Contains(s, "jdk.compiler") {
		s += " (DynamoDB Local is started through a source launcher and needs a JDK 17, not only a JRE)"
	}
	return s
}

// startTimeout bounds the JVM's start (about 3 s on a 2-core machine).
const startTimeout = 60 * time.Second

// Start fetches DynamoDB Local if needed, starts it and waits until it answers.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("dynamolocal: java is not on PATH; DynamoDB Local needs a JDK 17 or newer")
	}
	dir, err := Ensure()
	if err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	launcher := filepath.Join(dir, "Loopback.java")
	if err := writeIfChanged(launcher, loopbackSource); err != nil {
		return nil, err
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(dir, "DynamoDBLocal_lib"),
		"-cp", filepath.Join(dir, "DynamoDBLocal.jar") + string(os.PathListSeparator) + filepath.Join(dir, "DynamoDBLocal_lib", "*"),
		// Run from source (JEP 330): needs a JDK's compiler, no build step.
		launcher,
		"-port", strconv.Itoa(port),
		// One database whatever the caller's credentials and region, so a
		// developer's own AWS environment cannot hide the tables.
		"-sharedDb",
		"-disableTelemetry",
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(opts.DataDir)
		args = append(args, "-dbPath", abs)
	} else {
		args = append(args, "-inMemory")
	}
	cmd := exec.Command("java", args...)
	cmd.Dir = dir
	out := opts.Log
	if out == nil {
		out = io.Discard
	}
	var tail tailBuffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(out, &tail), io.MultiWriter(out, &tail)
	// The JVM dies with its parent, even when the parent is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{}), tail: &tail}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls until DynamoDB Local answers HTTP at all (it answers an
// unsigned request with 400, which is enough to know it is up).
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("dynamolocal: java exited during start (%v): %s", s.cmd.ProcessState, s.tail)
		case <-ctx.Done():
			return fmt.Errorf("dynamolocal: not answering on %s after %s", s.Endpoint, startTimeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends the JVM: politely first, then for sure.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
