//go:build linux

package device

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/warthog618/go-gpiocdev"
	"golang.org/x/sys/unix"
)

// GPIO requests lines through the GPIO character device (uAPI v2,
// kernel >= 5.10) with go-gpiocdev.
type GPIO struct {
	Consumer string

	mu   sync.Mutex
	used map[string]string // "/dev/gpiochipN:offset" -> line ref
}

// NewGPIO checks that the system has GPIO chips; ErrNoGPIO if none.
func NewGPIO(consumer string) (*GPIO, error) {
	if len(gpiocdev.Chips()) == 0 {
		return nil, ErrNoGPIO
	}
	return &GPIO{Consumer: consumer, used: map[string]string{}}, nil
}

// resolve finds the chip path and offset for ref.
func (g *GPIO) resolve(ref LineRef) (string, int, error) {
	path, err := findChip(ref.Chip)
	if err != nil {
		return "", 0, err
	}
	c, err := gpiocdev.NewChip(path, gpiocdev.WithConsumer(g.Consumer))
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	off, isNum := ref.Offset()
	if isNum {
		if off >= c.Lines() {
			return "", 0, fmt.Errorf("no line %d on %s (%s), which has %d lines", off, path, c.Label, c.Lines())
		}
	} else {
		off, err = c.FindLine(ref.Line)
		if err != nil {
			return "", 0, fmt.Errorf("no line named %q on %s (%s)", ref.Line, path, c.Label)
		}
	}
	key := fmt.Sprintf("%s:%d", path, off)
	g.mu.Lock()
	defer g.mu.Unlock()
	if prev, ok := g.used[key]; ok {
		return "", 0, fmt.Errorf("%s line %d is already used by this agent as %s", path, off, prev)
	}
	if info, err := c.LineInfo(off); err == nil && info.Used {
		return "", 0, fmt.Errorf("%s line %d is busy (used by %q)", path, off, info.Consumer)
	}
	g.used[key] = ref.String()
	return path, off, nil
}

func (g *GPIO) release(path string, off int) {
	g.mu.Lock()
	delete(g.used, fmt.Sprintf("%s:%d", path, off))
	g.mu.Unlock()
}

// findChip accepts a path, a gpiochipN name or a label.
func findChip(name string) (string, error) {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "gpiochip") {
		p := normChip(name)
		if err := gpiocdev.IsChip(p); err != nil {
			return "", fmt.Errorf("%s is not a GPIO chip: %w", p, err)
		}
		return p, nil
	}
	var labels []string
	for _, n := range gpiocdev.Chips() {
		c, err := gpiocdev.NewChip(n)
		if err != nil {
			continue
		}
		label := c.Label
		c.Close()
		if label == name {
			return filepath.Join("/dev", n), nil
		}
		labels = append(labels, label)
	}
	return "", fmt.Errorf("no GPIO chip labelled %q (chips: %s)", name, strings.Join(labels, ", "))
}

func wrapBusy(err error) error {
	if errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("line is busy: %w", err)
	}
	return err
}

// Output implements Opener.
func (g *GPIO) Output(ref LineRef, initial bool) (Output, error) {
	path, off, err := g.resolve(ref)
	if err != nil {
		return nil, &LineError{Ref: ref, Err: err}
	}
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(g.Consumer), gpiocdev.AsOutput(b2i(initial))}
	if ref.ActiveLow {
		opts = append(opts, gpiocdev.AsActiveLow)
	}
	l, err := gpiocdev.RequestLine(path, off, opts...)
	if err != nil {
		g.release(path, off)
		return nil, &LineError{Ref: ref, Err: wrapBusy(err)}
	}
	return &gpioOutput{l: l, done: func() { g.release(path, off) }}, nil
}

// Input implements Opener.
func (g *GPIO) Input(ref LineRef) (Input, error) {
	path, off, err := g.resolve(ref)
	if err != nil {
		return nil, &LineError{Ref: ref, Err: err}
	}
	in := &gpioInput{edges: make(chan bool, 64), done: func() { g.release(path, off) }}
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(g.Consumer), gpiocdev.AsInput,
		gpiocdev.WithBothEdges, gpiocdev.WithEventHandler(in.handle)}
	if ref.ActiveLow {
		opts = append(opts, gpiocdev.AsActiveLow)
	}
	switch ref.Bias {
	case BiasPullUp:
		opts = append(opts, gpiocdev.WithPullUp)
	case BiasPullDown:
		opts = append(opts, gpiocdev.WithPullDown)
	case BiasDisabled:
		opts = append(opts, gpiocdev.WithBiasDisabled)
	}
	l, err := gpiocdev.RequestLine(path, off, opts...)
	if err != nil {
		g.release(path, off)
		return nil, &LineError{Ref: ref, Err: wrapBusy(err)}
	}
	in.mu.Lock()
	in.l = l
	in.mu.Unlock()
	return in, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

type gpioOutput struct {
	l    *gpiocdev.Line
	once sync.Once
	done func()
}

func (o *gpioOutput) Set(v bool) error { return o.l.SetValue(b2i(v)) }

func (o *gpioOutput) Close() error {
	err := o.l.Close()
	o.once.Do(o.done)
	return err
}

type gpioInput struct {
	mu     sync.Mutex
	l      *gpiocdev.Line
	edges  chan bool
	closed bool
	done   func()
}

// handle runs on go-gpiocdev's event goroutine; it never blocks (a full
// channel drops the edge, and the consumer re-reads the level anyway).
func (in *gpioInput) handle(e gpiocdev.LineEvent) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return
	}
	select {
	case in.edges <- e.Type == gpiocdev.LineEventRisingEdge:
	default:
	}
}

func (in *gpioInput) Value() (bool, error) {
	v, err := in.l.Value()
	return v == 1, err
}

func (in *gpioInput) Edges() <-chan bool { return in.edges }

func (in *gpioInput) Close() error {
	err := in.l.Close() // waits for the event goroutine
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.edges)
		in.done()
	}
	in.mu.Unlock()
	return err
}
