package device

import (
	"errors"
	"sync"
)

// Output is one requested output line. Set takes the logical value: true is
// active (the configured active-low is applied below this interface).
type Output interface {
	Set(active bool) error
	Close() error
}

// Input is one requested input line with edge events. Value and the edges
// are logical (active-low applied). Edges are raw: debouncing is done above
// this interface, by Debouncer.
type Input interface {
	Value() (bool, error)
	// Edges receives the logical level after every change; the channel
	// is closed by Close.
	Edges() <-chan bool
	Close() error
}

// Opener requests lines. The Linux implementation is GPIO (gpio_linux.go).
type Opener interface {
	Output(ref LineRef, initial bool) (Output, error)
	Input(ref LineRef) (Input, error)
}

// ErrNoGPIO means the board has no GPIO chip at all; the agent then runs
// with the GPIO features off.
var ErrNoGPIO = errors.New("no GPIO chips on this system")

// FakeOpener is an in-memory board for tests: lines are created on demand
// and are reachable by "chip:line".
type FakeOpener struct {
	mu  sync.Mutex
	Out map[string]*FakeOutput
	In  map[string]*FakeInput
	// Missing lists "chip:line" keys that do not exist.
	Missing map[string]bool
}

// NewFakeOpener returns an empty fake board.
func NewFakeOpener() *FakeOpener {
	return &FakeOpener{Out: map[string]*FakeOutput{}, In: map[string]*FakeInput{}, Missing: map[string]bool{}}
}

func (f *FakeOpener) Output(ref LineRef, initial bool) (Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ref.String()
	if f.Missing[k] {
		return nil, &LineError{Ref: ref, Err: errors.New("no such line")}
	}
	o := &FakeOutput{changes: make(chan bool, 1024)}
	o.Set(initial)
	f.Out[k] = o
	return o, nil
}

func (f *FakeOpener) Input(ref LineRef) (Input, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ref.String()
	if f.Missing[k] {
		return nil, &LineError{Ref: ref, Err: errors.New("no such line")}
	}
	in := f.In[k]
	if in == nil {
		in = NewFakeInput()
		f.In[k] = in
	}
	return in, nil
}

// FakeOutput records what was written.
type FakeOutput struct {
	mu      sync.Mutex
	v       bool
	closed  bool
	changes chan bool
}

func (o *FakeOutput) Set(v bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return errors.New("closed")
	}
	o.v = v
	select {
	case o.changes <- v:
	default:
	}
	return nil
}

// Value is the last value written.
func (o *FakeOutput) Value() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.v
}

// Changes receives every value written (buffered).
func (o *FakeOutput) Changes() <-chan bool { return o.changes }

func (o *FakeOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.closed = true
	return nil
}

// FakeInput is driven by the test with Drive.
type FakeInput struct {
	mu     sync.Mutex
	reads  int
	v      bool
	edges  chan bool
	closed bool
}

// NewFakeInput returns an inactive input.
func NewFakeInput() *FakeInput { return &FakeInput{edges: make(chan bool, 1024)} }

// Drive sets the level and sends the edge.
func (in *FakeInput) Drive(v bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed || v == in.v {
		return
	}
	in.v = v
	in.edges <- v
}

func (in *FakeInput) Value() (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.reads++
	return in.v, nil
}

// Reads counts Value calls (tests use it to know a reader has started).
func (in *FakeInput) Reads() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.reads
}

func (in *FakeInput) Edges() <-chan bool { return in.edges }

func (in *FakeInput) Close() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.closed = true
		close(in.edges)
	}
	return nil
}

// LineError names the chip and line a request failed for.
type LineError struct {
	Ref LineRef
	Err error
}

func (e *LineError) Error() string {
	return "GPIO chip " + quote(e.Ref.Chip) + " line " + quote(e.Ref.Line) + ": " + e.Err.Error()
}

func (e *LineError) Unwrap() error { return e.Err }

func quote(s string) string { return "\"" + s + "\"" }
