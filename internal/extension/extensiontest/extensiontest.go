// Package extensiontest is an in-process Lambda Extensions API for tests:
// it accepts registrations, hands out the events a test queues (INVOKE,
// SHUTDOWN) to Next calls, and records init and exit errors, checking the
// headers and bodies the API requires.
package extensiontest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/portico-gw/portico/internal/extension"
)

// Report is an init or exit error an extension reported.
type Report struct {
	// Path is the API path it was posted to.
	Path string
	// ErrorType is the Lambda-Extension-Function-Error-Type header.
	ErrorType string
	// Message is the body's errorMessage.
	Message string
}

// API is a running fake Extensions API.
type API struct {
	srv *httptest.Server

	mu         sync.Mutex
	names      []string
	events     [][]extension.EventType
	next       chan extension.Event
	nextCalls  int
	reports    []Report
	problems   []string
	registered chan struct{}
	waiting    chan struct{} // receives each time a Next call starts waiting
}

// ID is the identifier the fake hands to every registration.
const ID = "3b4f9c1e-extensiontest"

// Start starts a fake API; Close it when done.
func Start() *API {
	a := &API{next: make(chan extension.Event, 16), registered: make(chan struct{}), waiting: make(chan struct{}, 64)}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	return a
}

// Addr returns the host:port to give as AWS_LAMBDA_RUNTIME_API.
func (a *API) Addr() string { return strings.TrimPrefix(a.srv.URL, "http://") }

// Close stops the server.
func (a *API) Close() {
	close(a.next)
	a.srv.Close()
}

// Send queues an event for the next Next call.
func (a *API) Send(ev extension.Event) { a.next <- ev }

// Registered is closed once an extension has registered.
func (a *API) Registered() <-chan struct{} { return a.registered }

// Waiting receives once each time a Next call starts waiting for an event:
// the extension is done with the previous phase.
func (a *API) Waiting() <-chan struct{} { return a.waiting }

// Names returns the names extensions registered with, and the events each
// subscribed to.
func (a *API) Names() ([]string, [][]extension.EventType) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.names...), append([][]extension.EventType(nil), a.events...)
}

// NextCalls returns the number of Next calls so far.
func (a *API) NextCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nextCalls
}

// Reports returns the init and exit errors reported so far.
func (a *API) Reports() []Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Report(nil), a.reports...)
}

// Problems returns the calls that broke the API's contract (a missing
// header, a bad body, Next before Register).
func (a *API) Problems() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.problems...)
}

func (a *API) problem(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.mu.Lock()
	a.problems = append(a.problems, msg)
	a.mu.Unlock()
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorMessage": msg, "errorType": "InvalidRequest"})
}

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/2020-01-01/extension/register":
		a.register(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/2020-01-01/extension/event/next":
		if r.Header.Get(extension.HeaderID) != ID {
			a.problem(w, http.StatusForbidden, "next: %s is %q, want the registered %q", extension.HeaderID, r.Header.Get(extension.HeaderID), ID)
			return
		}
		a.mu.Lock()
		a.nextCalls++
		a.mu.Unlock()
		select {
		case a.waiting <- struct{}{}:
		default:
		}
		select {
		case ev, ok := <-a.next:
			if !ok {
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Lambda-Extension-Event-Identifier", "ev-"+ev.RequestID)
			json.NewEncoder(w).Encode(ev)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && (r.URL.Path == "/2020-01-01/extension/init/error" || r.URL.Path == "/2020-01-01/extension/exit/error"):
		if r.Header.Get(extension.HeaderID) != ID {
			a.problem(w, http.StatusForbidden, "%s: %s is %q, want %q", r.URL.Path, extension.HeaderID, r.Header.Get(extension.HeaderID), ID)
			return
		}
		typ := r.Header.Get(extension.HeaderErrorType)
		var body struct {
			ErrorMessage string `json:"errorMessage"`
		}
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if typ == "" || json.Unmarshal(b, &body) != nil {
			a.problem(w, http.StatusBadRequest, "%s: error type %q, body %q", r.URL.Path, typ, b)
			return
		}
		a.mu.Lock()
		a.reports = append(a.reports, Report{Path: r.URL.Path, ErrorType: typ, Message: body.ErrorMessage})
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	default:
		a.problem(w, http.StatusNotFound, "no route for %s %s", r.Method, r.URL.Path)
	}
}

func (a *API) register(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(extension.HeaderName)
	var body struct {
		Events []extension.EventType `json:"events"`
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if name == "" {
		a.problem(w, http.StatusBadRequest, "register: no %s header", extension.HeaderName)
		return
	}
	if err := json.Unmarshal(b, &body); err != nil || len(body.Events) == 0 {
		a.problem(w, http.StatusBadRequest, "register: body %q is not {\"events\": [...]}", b)
		return
	}
	a.mu.Lock()
	a.names = append(a.names, name)
	a.events = append(a.events, body.Events)
	first := len(a.names) == 1
	a.mu.Unlock()
	w.Header().Set(extension.HeaderID, ID)
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"functionName":"orders","functionVersion":"$LATEST","handler":"handler.handle","accountId":"123456789012"}`)
	if first {
		close(a.registered)
	}
}
