// Package lambdaharness runs a built `bootstrap` binary the way Lambda does:
// it serves the documented Lambda Runtime API on loopback, starts the binary
// with AWS_LAMBDA_RUNTIME_API pointing at it, hands it one event at a time and
// collects the answers. Tests use it to prove a binary serves real events; the
// cold-start benchmark uses it to time exec to the first /next poll.
package lambdaharness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const apiPrefix = "/2018-06-01/runtime"

// Result is what the function answered to one event.
type Result struct {
	Payload []byte
	// Err is set when the function posted to /error instead of /response.
	Err []byte
}

type invocation struct {
	id      string
	payload []byte
	done    chan Result
}

// Process is one running bootstrap binary and the Runtime API it polls.
type Process struct {
	cmd       *exec.Cmd
	server    *http.Server
	started   time.Time
	firstNext chan time.Time
	queue     chan *invocation
	exited    chan struct{}

	mu      sync.Mutex
	pending map[string]*invocation
	seq     int
	polled  bool
	initErr []byte
	stderr  bytes.Buffer
	output  lockedBuffer
}

// lockedBuffer collects what the binary writes, for tests that read its logs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Output is everything the binary wrote to stdout and stderr so far: its
// logs, as CloudWatch would receive them.
func (p *Process) Output() string {
	p.output.mu.Lock()
	defer p.output.mu.Unlock()
	return p.output.buf.String()
}

// Start serves a Runtime API and execs binary with env added to a minimal
// Lambda-like environment.
func Start(binary string, env ...string) (*Process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Process{
		firstNext: make(chan time.Time, 1),
		queue:     make(chan *invocation),
		exited:    make(chan struct{}),
		pending:   map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", p.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", p.answer(false))
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", p.answer(true))
	mux.HandleFunc("POST "+apiPrefix+"/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.initErr = b
		p.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	p.server = &http.Server{Handler: mux}
	go func() { _ = p.server.Serve(ln) }()

	p.cmd = exec.Command(binary)
	p.cmd.Env = append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=harness",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_REGION=cn-northwest-1",
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	p.cmd.Stdout = &p.output
	p.cmd.Stderr = io.MultiWriter(&p.stderr, &p.output)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		_ = p.server.Close()
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *Process) next(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if !p.polled {
		p.polled = true
		p.firstNext <- time.Now()
	}
	p.mu.Unlock()
	select {
	case inv := <-p.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:cn-northwest-1:123456789012:function:harness")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (p *Process) answer(isErr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		inv := p.pending[r.PathValue("id")]
		delete(p.pending, r.PathValue("id"))
		p.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		res := Result{Payload: b}
		if isErr {
			res = Result{Err: b}
		}
		inv.done <- res
		w.WriteHeader(http.StatusAccepted)
	}
}

// WaitReady waits for the binary's first /next poll and returns how long it
// took from exec: the binary's init time as Lambda would see it.
func (p *Process) WaitReady(ctx context.Context) (time.Duration, error) {
	select {
	case t := <-p.firstNext:
		return t.Sub(p.started), nil
	case <-p.exited:
		return 0, p.exitError()
	case <-ctx.Done():
		return 0, fmt.Errorf("no /next poll: %w", ctx.Err())
	}
}

// Invoke hands the binary one event and waits for its answer.
func (p *Process) Invoke(ctx context.Context, payload []byte) (Result, error) {
	p.mu.Lock()
	p.seq++
	inv := &invocation{id: "req-" + strconv.Itoa(p.seq), payload: payload, done: make(chan Result, 1)}
	p.pending[inv.id] = inv
	p.mu.Unlock()
	select {
	case p.queue <- inv:
	case <-p.exited:
		return Result{}, p.exitError()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-p.exited:
		return Result{}, p.exitError()
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (p *Process) exitError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf("bootstrap exited (%v)", p.cmd.ProcessState)
	if len(p.initErr) > 0 {
		msg += "; init error: " + string(p.initErr)
	}
	if p.stderr.Len() > 0 {
		msg += "; stderr: " + p.stderr.String()
	}
	return errors.New(msg)
}

// Stop kills the binary and closes the Runtime API.
func (p *Process) Stop() {
	_ = p.cmd.Process.Kill()
	<-p.exited
	_ = p.server.Close()
}
