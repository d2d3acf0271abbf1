package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"camagent/auth"
	"camagent/capture"
	"camagent/config"
	"camagent/device"
	"camagent/encode"
	"camagent/internal/clock"
	"camagent/media"
	"camagent/onvif"
	"camagent/stream"
	"camagent/telemetry"
)

// Options are the agent's inputs besides the configuration.
type Options struct {
	Version string
	Stdout  io.Writer // the start-up banner with the stream URLs goes here
	Log     *slog.Logger
	Clock   clock.Clock
	// ConfigPath is the file MQTT config-set persists to; empty refuses it.
	ConfigPath string
	// Unprovisioned: cfg is the image's default configuration because the
	// device's own does not exist yet (LED, banner and health say so).
	Unprovisioned bool
	// GPIO and Watchdog replace the board's hardware in tests; nil uses
	// the GPIO character devices and board.watchdog.path.
	GPIO     device.Opener
	Watchdog device.WatchdogDevice
	// WrapEncoder, when set, wraps every encoder the pipeline opens (tests
	// inject a failing device with it).
	WrapEncoder func(encode.Encoder) encode.Encoder
	// NetworkUp tells the status LED whether the network is up; nil: always.
	NetworkUp func() bool
	// Reboot is called by the MQTT reboot command after its delay; nil
	// makes the command fail with an explanation.
	Reboot func(reason string) error
}

// ErrReload is Run's result after MQTT config-set saved a new
// configuration: the caller starts a new Agent from the saved file.
var ErrReload = errors.New("configuration changed: reload")

// reloadDelay lets the config-set reply and its config_changed event
// reach the broker before the MQTT client stops with the pipeline.
const reloadDelay = time.Second

// Agent is the running camera pipeline.
type Agent struct {
	cfg       *config.Config
	opts      Options
	comps     []named
	rtsp      *stream.RTSPServer
	hub       *stream.Hub
	stage     *encode.Stage
	source    sourceStats
	generated string
	describe  string
	started   chan struct{} // closed once the banner is out and readers may connect
	telemetry *telemetry.Telemetry
	// encoderReason says which encoder runs and why (health, log); it
	// changes when the stage reopens the encoder.
	encoderReason atomic.Pointer[string]
	onvif         *onvif.Server
	snap          *snapshotter     // raw-picture copies for /onvif/snapshot; nil without raw frames
	motion        *motionDetector  // MotionAlarm and SignalLoss events; nil without raw frames
	video         onvif.Video      // what the encoded stream is, for ONVIF
	luma          *lumaMeter       // mean picture brightness for day/night; nil without raw frames
	sub           *subStream       // the second, smaller stream; nil when off
	discovery     *onvif.Discovery // nil when not discoverable
	id            string           // device id: configured, or from the board (deviceID)
	board         *device.Board
	watchdog      *device.Watchdog // nil unless board.watchdog.enabled
	boardSt       boardState
	controls      *capture.Controls                  // the camera's picture controls; nil for other sources
	stop          atomic.Pointer[context.CancelFunc] // ends Run (factory reset without a reboot hook)
	reload        atomic.Bool                        // Run returns ErrReload
	reloadC       chan struct{}                      // closed by reloadSoon
	wipeAtExit    atomic.Bool                        // a factory reset: wipe again once every component stopped
}

type sourceStats interface{ Stats() capture.SourceStats }

// New builds the pipeline described by cfg, which must be validated.
func New(cfg *config.Config, opts Options) (*Agent, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.NetworkUp == nil {
		opts.NetworkUp = networkUp
	}
	a := &Agent{cfg: cfg, opts: opts, started: make(chan struct{}), reloadC: make(chan struct{}), id: deviceID(cfg)}
	log := opts.Log

	// The hub asks the encoder for an IDR when a subscriber starts or
	// resynchronises; the stage is built after the hub, hence the closure.
	a.hub = stream.NewHub(func() {
		if a.stage != nil {
			a.stage.RequestKeyframe()
		}
	})

	switch cfg.Source.Type {
	case "file":
		f, err := capture.NewFile(capture.FileConfig{Path: cfg.Source.File.Path, FPS: cfg.Source.File.FPS}, a.hub, opts.Clock, log.With("component", "source"))
		if err != nil {
			return nil, err
		}
		info := f.Info()
		a.source = f
		a.describe = fmt.Sprintf("H.264 file %s %dx%d@%d (passthrough)", cfg.Source.File.Path, info.Width, info.Height, cfg.Source.File.FPS)
		// The file's GOP is unknown without scanning it; one second is the
		// common encoder default and what the testpattern path uses.
		a.video = onvif.Video{Width: info.Width, Height: info.Height, FPS: cfg.Source.File.FPS, BitrateKbps: cfg.Encoder.BitrateKbps,
			GOP: cfg.Encoder.EffectiveGOP(cfg.Source.File.FPS), Profile: onvifProfile(info.Profile)}
		a.comps = append(a.comps, named{"source", f})
	case "v4l2":
		if err := a.buildCamera(cfg.Source.V4L2.Device); err != nil {
			return nil, err
		}
	case "auto":
		// A camera if there is one, else the test pattern: a board whose
		// camera is missing still shows that the rest of the chain works.
		if path, err := capture.FindCamera(); err == nil {
			device := cfg.Source.V4L2.Device
			if device == "" && cfg.Source.V4L2.Match == "" {
				device = path
			}
			if err := a.buildCamera(device); err != nil {
				return nil, err
			}
		} else {
			log.Info("no camera found: streaming the test pattern", "reason", err)
			if err := a.buildTestPattern(); err != nil {
				return nil, err
			}
		}
	default:
		if err := a.buildTestPattern(); err != nil {
			return nil, err
		}
	}

	accts, generated, err := accounts(cfg)
	if err != nil {
		return nil, err
	}
	a.generated = generated
	var authn stream.Authenticator
	var digest onvif.HTTPDigest
	if !cfg.RTSP.Anonymous || len(accts) > 0 {
		algs := make([]auth.Algorithm, 0, len(cfg.RTSP.DigestAlgorithms))
		for _, s := range cfg.RTSP.DigestAlgorithms {
			algs = append(algs, auth.Algorithm(s))
		}
		d, err := auth.NewDigest(auth.DigestConfig{Realm: "camagent", Algorithms: algs, AllowLegacy: cfg.RTSP.LegacyDigestEnabled(), NonceTTL: time.Minute}, accts, opts.Clock)
		if err != nil {
			return nil, fmt.Errorf("rtsp authentication: %w", err)
		}
		authn, digest = d, d
	}
	var keys stream.KeyframeRequester
	if a.stage != nil {
		keys = a.stage
	}
	a.rtsp, err = stream.NewRTSPServer(stream.RTSPConfig{
		Listen:         cfg.RTSP.Listen,
		Path:           cfg.RTSP.Path,
		UDP:            cfg.RTSP.UDPEnabled(),
		UDPRTPPort:     cfg.RTSP.UDPRTPPort,
		MaxReaders:     cfg.RTSP.MaxReaders,
		WriteQueue:     cfg.RTSP.WriteQueue,
		Anonymous:      cfg.RTSP.Anonymous,
		KeyframeOnJoin: cfg.Encoder.KeyframeOnJoinEnabled(),
	}, a.hub, authn, keys, log.With("component", "rtsp"))
	if err != nil {
		return nil, err
	}
	if a.sub != nil {
		if err := a.rtsp.AddPath(cfg.RTSP.SubPath, a.sub.hub, a.sub.stage); err != nil {
			return nil, err
		}
	}
	a.comps = append(a.comps, named{"rtsp", a.rtsp})
	if err := a.buildONVIF(accts, digest, a.video); err != nil {
		return nil, err
	}
	if err := a.buildTelemetry(); err != nil {
		return nil, err
	}
	// Last: it takes hardware (GPIO lines, the armed watchdog) that the
	// steps above could not give back if they failed.
	if err := a.buildBoard(); err != nil {
		return nil, err
	}
	a.comps = append(a.comps, named{"supervisor", newSupervisor(a)})
	return a, nil
}

func (a *Agent) buildTestPattern() error {
	cfg, log := a.cfg, a.opts.Log
	tp := cfg.Source.TestPattern
	pf, err := media.ParsePixelFormat(tp.Format)
	if err != nil {
		return err
	}
	// Two frames of slack: the encoder may be mid-picture while the next
	// one waits; anything more would only add latency.
	frames := media.NewFrameQueue(2)
	src, err := capture.NewTestPattern(capture.TestPatternConfig{Width: tp.Width, Height: tp.Height, FPS: tp.FPS, Format: pf}, frames, a.opts.Clock, log.With("component", "source"))
	if err != nil {
		return err
	}
	open := a.encoderOpener(pf, tp.FPS)
	enc, err := open(tp.Width, tp.Height)
	if err != nil {
		return err
	}
	return a.buildEncoder(src, frames, enc, open, tp.Width, tp.Height, tp.FPS, fmt.Sprintf("test pattern %dx%d@%d %s", tp.Width, tp.Height, tp.FPS, pf))
}

// buildCamera captures from a V4L2 camera: device is a path, or empty to
// use the configured match.
func (a *Agent) buildCamera(device string) error {
	cfg, log := a.cfg, a.opts.Log
	cam := cfg.Source.V4L2
	var formats []capture.FourCC
	for _, s := range cam.Formats {
		f, err := capture.ParseFourCC(s)
		if err != nil {
			return fmt.Errorf("source.v4l2.formats: %w", err)
		}
		formats = append(formats, f)
	}
	if cam.Passthrough() {
		return a.buildCameraPassthrough(device, formats)
	}
	// With the hardware encoder and zero copy on, the pictures travel as
	// NV12, the layout cameras and bcm2835-codec share: an NV12 camera's
	// buffers are then lent to the encoder as they are (dma-buf import),
	// and pictures that must be converted (YUYV, MJPEG) are written into
	// the encoder's own memory, which it imports. The software encoder
	// takes I420, which YUYV and MJPEG convert into.
	zeroCopy := cfg.Encoder.ZeroCopyEnabled()
	hwInput := media.I420
	if zeroCopy {
		hwInput = media.NV12
	}
	open := a.encoderOpener(hwInput, cam.FPS)
	enc, err := open(cam.Width, cam.Height)
	if err != nil {
		return err
	}
	vc := capture.V4L2Config{Device: device, Match: cam.Match, Width: cam.Width, Height: cam.Height,
		FPS: cam.FPS, Formats: formats, Output: media.I420}
	if isHardware(enc) {
		vc.Output = hwInput
		if zeroCopy {
			// Lent buffers wait in the queue and the encoder: more of
			// them, so the driver always has some to fill.
			vc.Lend, vc.Buffers = true, 8
			vc.NewPool = func(format media.PixelFormat, w, h, n int) (*media.FramePool, error) {
				return encode.NewM2MFramePool(encode.M2MConfig{Codec: encode.M2MH264, Input: format, Width: w, Height: h},
					n, log.With("component", "source"))
			}
		}
	}
	frames := media.NewFrameQueue(2)
	src, err := capture.NewV4L2(vc, frames, a.opts.Clock, log.With("component", "source"))
	if err != nil {
		enc.Close()
		return err
	}
	a.controls = src.Controls()
	a.comps = append(a.comps, named{"controls", controlsRunner{a.controls}})
	name := device
	if name == "" {
		name = fmt.Sprintf("camera matching %q", cam.Match)
	}
	return a.buildEncoder(src, frames, enc, open, cam.Width, cam.Height, cam.FPS, fmt.Sprintf("V4L2 %s, wanted %dx%d@%d", name, cam.Width, cam.Height, cam.FPS))
}

// buildCameraPassthrough streams a UVC camera's own H.264 into the hub
// without an encoder: no forced IDRs (the camera keeps its own GOP), and
// with no raw pictures no sub stream, snapshots or motion events.
func (a *Agent) buildCameraPassthrough(device string, formats []capture.FourCC) error {
	cfg, log := a.cfg, a.opts.Log
	cam := cfg.Source.V4L2
	src, err := capture.NewV4L2(capture.V4L2Config{Device: device, Match: cam.Match, Width: cam.Width, Height: cam.Height,
		FPS: cam.FPS, Formats: formats, AUs: a.hub}, nil, a.opts.Clock, log.With("component", "source"))
	if err != nil {
		return err
	}
	a.source = src
	a.controls = src.Controls()
	name := cmp.Or(device, fmt.Sprintf("camera matching %q", cam.Match))
	a.describe = fmt.Sprintf("V4L2 %s, the camera's own H.264 %dx%d@%d passed through", name, cam.Width, cam.Height, cam.FPS)
	// The camera's profile and GOP are known only from its stream; Main
	// and one second are what UVC encoders commonly use.
	a.video = onvif.Video{Width: cam.Width, Height: cam.Height, FPS: cam.FPS, BitrateKbps: cfg.Encoder.BitrateKbps, GOP: cam.FPS, Profile: "Main"}
	a.comps = append(a.comps, named{"source", src}, named{"controls", controlsRunner{a.controls}})
	return nil
}

type rawSource interface {
	component
	sourceStats
}

// encoderOpener opens the main encoder for a picture size (input is the
// layout the hardware encoder is asked to take); the stage reopens
// through it when the source delivers another size.
func (a *Agent) encoderOpener(input media.PixelFormat, fps int) func(w, h int) (encode.Encoder, error) {
	return func(w, h int) (encode.Encoder, error) {
		enc, reason, err := openEncoder(a.cfg, input, w, h, fps, a.opts.Log.With("component", "encoder"))
		if err == nil {
			a.encoderReason.Store(&reason)
			if a.opts.WrapEncoder != nil {
				enc = a.opts.WrapEncoder(enc)
			}
		}
		return enc, err
	}
}

// buildEncoder puts the encoder behind a raw source. enc was opened for
// the wanted size; the stage reopens through open when the source delivers
// another (a camera grants the closest mode it has).
func (a *Agent) buildEncoder(src rawSource, frames *media.FrameQueue, enc encode.Encoder, open func(w, h int) (encode.Encoder, error), w, h, fps int, what string) error {
	cfg, log := a.cfg, a.opts.Log
	gop := cfg.Encoder.EffectiveGOP(fps)
	sub, err := a.buildSubStream(w, h, fps, enc.Backend())
	if err != nil {
		enc.Close()
		return err
	}
	a.sub = sub
	a.video = onvif.Video{Width: w, Height: h, FPS: fps, BitrateKbps: cfg.Encoder.BitrateKbps, GOP: gop,
		Profile: "Baseline"} // OpenH264 here encodes Constrained Baseline
	a.snap = newSnapshotter(a.opts.Clock)
	a.motion = newMotionDetector(a.opts.Clock, cfg.ONVIF.Motion(), func(on bool) { a.publishEvent(onvif.TopicMotionAlarm, on) })
	// The day/night switch is built later (buildBoard); the closure
	// finds it at the first sample.
	a.luma = newLumaMeter(a.opts.Clock, func(v float64) {
		if a.board != nil && a.board.DayNight != nil {
			a.board.DayNight.SetLuma(v)
		}
	})
	observe := func(f *media.Frame) {
		a.snap.Observe(f)
		a.motion.Observe(f)
		a.luma.Observe(f)
		if sub != nil {
			sub.Observe(f)
		}
	}
	a.stage = encode.NewStage(encode.StageConfig{KeyframeMinInterval: cfg.Encoder.KeyframeMinInterval, Observe: observe,
		Resize: open, InitialWidth: w, InitialHeight: h},
		frames, enc, a.hub, a.opts.Clock, log.With("component", "encoder"))
	a.source = src
	a.describe = fmt.Sprintf("%s, %s encoder %d kbit/s, IDR every %d frames", what, enc.Backend(), cfg.Encoder.BitrateKbps, gop)
	a.comps = append(a.comps, named{"source", src}, named{"encoder", a.stage})
	if sub != nil {
		a.comps = append(a.comps, named{"sub-encoder", sub.stage})
	}
	return nil
}

// Run streams until ctx ends; it returns after every component stopped.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.stop.Store(&cancel)
	done := make(chan error, 1)
	go func() { done <- runAll(ctx, a.comps) }()
	select {
	case <-a.rtsp.Ready():
	case err := <-done:
		return err
	}
	if a.onvif != nil {
		select {
		case <-a.onvif.Ready():
		case err := <-done:
			return err
		}
	}
	if a.telemetry != nil {
		// Give MQTT a moment so the banner can say health is flowing; a
		// broker that is down must not delay the video, hence the bound.
		wait := a.opts.Clock.NewTimer(2 * time.Second)
		select {
		case <-a.telemetry.Connected():
		case <-wait.C():
		case err := <-done:
			wait.Stop()
			return err
		}
		wait.Stop()
	}
	a.banner()
	close(a.started)
	var err error
	select {
	case err = <-done:
	case <-a.reloadC:
		t := a.opts.Clock.NewTimer(reloadDelay)
		select {
		case err = <-done:
		case <-t.C():
			cancel()
			err = <-done
		}
		t.Stop()
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if a.wipeAtExit.Load() {
		// Stopping components write too (the MQTT store, its state
		// file); what they left in the data directory goes now.
		if werr := a.wipe(); werr != nil {
			a.opts.Log.Error("factory reset incomplete", "err", werr)
		}
	}
	if err == nil && a.reload.Load() {
		err = ErrReload
	}
	return err
}

// reloadSoon makes Run stop and return ErrReload after reloadDelay.
func (a *Agent) reloadSoon() {
	if a.reload.CompareAndSwap(false, true) {
		close(a.reloadC)
	}
}

// RTSPAddr is the bound RTSP address once the server is ready.
func (a *Agent) RTSPAddr() net.Addr { return a.rtsp.Addr() }

// Ready is closed when the stream can be played.
func (a *Agent) Ready() <-chan struct{} { return a.started }

func (a *Agent) banner() {
	w := a.opts.Stdout
	port := a.rtsp.Addr().(*net.TCPAddr).Port
	fmt.Fprintf(w, "camagent %s: streaming %s\n", a.opts.Version, a.describe)
	if a.opts.Unprovisioned {
		fmt.Fprintf(w, "  UNPROVISIONED: no %s yet; put camagent.yaml on the boot partition and reboot\n", a.opts.ConfigPath)
	}
	user, pass := "", ""
	switch {
	case a.generated != "":
		user, pass = devUser, a.generated
	case !a.cfg.RTSP.Anonymous && len(a.cfg.Users) > 0:
		// Configured passwords are not echoed; the operator knows them.
		user = a.cfg.Users[0].Name
	}
	for _, u := range streamURLs(a.cfg.RTSP.Listen, a.cfg.RTSP.Path, port, user, pass) {
		fmt.Fprintf(w, "  RTSP  %s\n", u)
	}
	if a.sub != nil {
		for _, u := range streamURLs(a.cfg.RTSP.Listen, a.cfg.RTSP.SubPath, port, user, pass) {
			fmt.Fprintf(w, "  RTSP  %s (sub stream %dx%d)\n", u, a.sub.w, a.sub.h)
		}
	}
	if a.onvif != nil {
		for _, u := range onvifURLs(a.cfg.ONVIF.Listen, a.onvif.Addr().(*net.TCPAddr).Port) {
			fmt.Fprintf(w, "  ONVIF %s\n", u)
		}
	}
	if a.telemetry != nil {
		state := "connected"
		select {
		case <-a.telemetry.Connected():
		default:
			state = "connecting"
		}
		fmt.Fprintf(w, "  MQTT  %s (%s), health on %s — try: camctl poll\n", a.telemetry.BrokerURL(), state, a.telemetry.Topics().Health())
	}
	if a.generated != "" {
		fmt.Fprintf(w, "  (no users configured: account %q with a password generated for this run only;\n   add users to the config file to fix credentials)\n", devUser)
	}
}

// Stats gathers every stage's counters.
func (a *Agent) Stats() Stats {
	st := Stats{Source: a.source.Stats(), Hub: a.hub.Stats(), RTSP: a.rtsp.Stats()}
	if a.stage != nil {
		es := a.stage.Stats()
		st.Encoder = &es
	}
	return st
}

// Stats is a snapshot of the pipeline's counters.
type Stats struct {
	Source  capture.SourceStats
	Encoder *encode.StageStats
	Hub     stream.HubStats
	RTSP    stream.RTSPStats
}
