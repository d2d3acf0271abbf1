package telemetry

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
	"camagent/internal/clock"
)

// Queue bounds. Every queue here is bounded; overflow is counted.
const (
	eventQueueLen   = 256
	cmdQueueLen     = 64
	maxFleetPending = 16
	// FleetJitter spreads fleet-wide health replies over this window so a
	// thousand devices do not answer in the same millisecond; below 1 s so
	// every reply arrives within the promised second.
	FleetJitter    = 500 * time.Millisecond
	publishTimeout = 2 * time.Second
	sampleInterval = time.Second
	cameraLostAge  = 3 * time.Second
	authBurst      = 5 // auth failures within authWindow make an event
	authWindow     = 10 * time.Second
)

// Pipeline is the agent's counters as app hands them over; the rates
// (fps, bitrate) and the last frame's age are computed here.
type Pipeline struct {
	Camera       Camera
	Encoder      *Encoder
	EncodedBytes uint64
	RTSP         RTSP
	ONVIF        *ONVIF
	Board        Board
}

// Actions are what commands may do to the agent. Implementations must not
// block for long: they run on the telemetry goroutine.
type Actions interface {
	Keyframe()
	// RebootAvailable says why Reboot cannot work, so the command is
	// refused at once rather than failing after its delay.
	RebootAvailable() error
	// Reboot restarts the device (or the agent) after the command's delay.
	Reboot(reason string) error
	// ConfigGet returns the running configuration as YAML, secrets blanked.
	ConfigGet() ([]byte, error)
	// DayNight overrides the IR-cut filter: auto, day or night. An error
	// says why it cannot (no IR-cut filter on this board).
	DayNight(mode string) error
	// ConfigSet validates and persists a whole configuration file. problems
	// lists every validation problem; nothing changes when there is one.
	ConfigSet(yaml []byte) (problems []string, err error)
}

// Options are a Telemetry's inputs.
type Options struct {
	Config     config.MQTT
	DeviceID   string
	Version    string
	ConfigHash func() string // hash of the configuration without secrets
	Stats      func() Pipeline
	Actions    Actions
	Clock      clock.Clock
	Rand       *rand.Rand // jitter; seeded randomly when nil
	Host       Host       // LinuxHost when nil
	Disks      []string   // file systems reported in health; default "/"
	Log        *slog.Logger
}

// Telemetry is the MQTT component. Create with New, run with Run.
type Telemetry struct {
	opts   Options
	cfg    config.MQTT
	topics Topics
	log    *slog.Logger
	clk    clock.Clock
	parser parser

	boot       time.Time
	lastReboot string

	events chan Event
	cmds   chan mqtt.Message

	evDropped  atomic.Uint64
	cmdDropped atomic.Uint64
	reconnects atomic.Uint64
	connected  atomic.Bool
	store      *boundedStore
	fleetBusy  atomic.Int32
	brokerURL  atomic.Pointer[string]
	trying     atomic.Pointer[string] // broker of the connection attempt under way
	published  atomic.Uint64          // events handed to the client
	wake       chan struct{}          // buffer 1: connection state changed

	// Loop-goroutine state.
	client        mqtt.Client
	rndMu         sync.Mutex
	rnd           *rand.Rand
	lastRebootReq string
	seq           uint64
	held          *heldEvent // numbered, waiting for eventGate
	samp          sampler
	wg            sync.WaitGroup
	ready         chan struct{}
	readyOnce     sync.Once
	newClient     func(*mqtt.ClientOptions) mqtt.Client // mqtt.NewClient; tests inject a fake
	stateDir      string
}

// New checks the options; nothing connects until Run.
func New(opts Options) (*Telemetry, error) {
	if opts.DeviceID == "" || opts.DeviceID == FleetID {
		return nil, fmt.Errorf("telemetry: device id %q cannot be used in topics", opts.DeviceID)
	}
	if opts.Stats == nil || opts.Actions == nil {
		return nil, errors.New("telemetry: Stats and Actions are required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Host == nil {
		opts.Host = LinuxHost{}
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if len(opts.Disks) == 0 {
		opts.Disks = []string{"/"}
	}
	if opts.ConfigHash == nil {
		opts.ConfigHash = func() string { return "" }
	}
	c := opts.Config
	t := &Telemetry{
		opts: opts, cfg: c, log: opts.Log, clk: opts.Clock, rnd: opts.Rand,
		topics: Topics{Prefix: c.TopicPrefix, Device: opts.DeviceID},
		events: make(chan Event, eventQueueLen),
		cmds:   make(chan mqtt.Message, cmdQueueLen),
		ready:  make(chan struct{}),
		wake:   make(chan struct{}, 1),
	}
	t.newClient = mqtt.NewClient
	t.parser = parser{topics: t.topics, maxPayload: c.MaxPayload, maxAge: c.CommandMaxAge}
	if c.CommandKey != "" {
		k, err := base64.StdEncoding.DecodeString(c.CommandKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, errors.New("telemetry: command_key is not a base64 Ed25519 public key")
		}
		t.parser.key = ed25519.PublicKey(k)
	}
	if c.StoreDir != "" {
		t.stateDir = c.StoreDir
	}
	store := mqtt.Store(mqtt.NewOrderedMemoryStore())
	if c.StoreDir != "" {
		dir := filepath.Join(c.StoreDir, "queue")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("mqtt store: %w", err)
		}
		store = mqtt.NewFileStore(dir)
	}
	t.store = newBoundedStore(store, c.StoreMax)
	return t, nil
}

// Topics returns this device's topic names.
func (t *Telemetry) Topics() Topics { return t.topics }

// Connected is closed after the first successful connection.
func (t *Telemetry) Connected() <-chan struct{} { return t.ready }

// IsConnected reports whether the broker connection is up right now.
func (t *Telemetry) IsConnected() bool { return t.connected.Load() }

// BrokerURL is the broker in use (the embedded one's real address in
// stand-alone mode), once Run has started.
func (t *Telemetry) BrokerURL() string {
	if p := t.brokerURL.Load(); p != nil {
		return *p
	}
	return ""
}

// Event queues an event without ever blocking; a full queue drops it and
// counts the drop. data is marshalled to JSON (nil for none).
func (t *Telemetry) Event(typ string, data any) {
	ev := Event{Schema: SchemaEvent, Device: t.topics.Device, Type: typ, Time: t.clk.Now().UTC()}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			t.log.Warn("event data not encodable", "type", typ, "err", err)
			return
		}
		ev.Data = b
	}
	select {
	case t.events <- ev:
	default:
		t.evDropped.Add(1)
	}
}

// Run connects and serves until ctx ends; it returns after its goroutines
// and the embedded broker stopped. Connection problems are logged and
// retried, never returned: telemetry must not stop the video.
func (t *Telemetry) Run(ctx context.Context) error {
	t.boot = t.clk.Now().UTC()
	t.lastReboot = t.loadState()
	t.seq = t.loadSeq()
	brokers := t.cfg.Brokers
	if len(brokers) == 0 {
		b, err := startEmbedded(t.cfg.EmbeddedListen, t.log.With("component", "mqtt-broker"))
		if err != nil {
			return err
		}
		defer b.Close()
		brokers = []string{b.URL()}
		t.log.Info("embedded MQTT broker listening (loopback only)", "addr", b.addr.String())
	}
	u := brokers[0]
	t.brokerURL.Store(&u)
	opts, err := t.clientOptions(ctx, brokers)
	if err != nil {
		return err
	}
	t.client = t.newClient(opts)
	t.client.Connect() // retries in the background (SetConnectRetry); never waited on
	t.saveState(stateFile{Clean: false, Reason: "crash or power loss (no clean shutdown recorded)"})

	t.loop(ctx)
	// Events still queued go to the store (on disk with store_dir), so a
	// clean stop loses none of them.
	if t.held != nil {
		t.sendHeld()
	}
	for drained := false; !drained; {
		select {
		case ev := <-t.events:
			t.held = t.numberEvent(ev)
			t.sendHeld()
		default:
			drained = true
		}
	}

	// Clean shutdown: say so on the status topic, then disconnect.
	if t.client.IsConnectionOpen() {
		tok := t.client.Publish(t.topics.Status(), 1, true, t.status("offline", "shutdown"))
		if !tok.WaitTimeout(publishTimeout) {
			t.log.Warn("offline status not acknowledged before shutdown")
		}
	}
	t.client.Disconnect(250)
	t.wg.Wait()
	if t.lastRebootReq == "" {
		t.saveState(stateFile{Clean: true, Reason: "clean shutdown"})
	} else {
		t.saveState(stateFile{Clean: true, Reason: t.lastRebootReq})
	}
	return nil
}

func (t *Telemetry) clientOptions(ctx context.Context, brokers []string) (*mqtt.ClientOptions, error) {
	c := t.cfg
	o := mqtt.NewClientOptions()
	for _, b := range brokers {
		o.AddBroker(b)
	}
	o.SetClientID(t.topics.Device)
	o.SetCleanSession(false)
	o.SetResumeSubs(true)
	o.SetOrderMatters(false)
	o.SetAutoReconnect(true)
	o.SetConnectRetry(true)
	o.SetConnectRetryInterval(c.ReconnectMin)
	o.SetMaxReconnectInterval(c.ReconnectMax)
	o.SetConnectTimeout(5 * time.Second)
	o.SetWriteTimeout(publishTimeout)
	o.SetKeepAlive(c.Keepalive)
	o.SetPingTimeout(min(c.Keepalive/2, 5*time.Second))
	o.SetMessageChannelDepth(cmdQueueLen)
	o.SetBinaryWill(t.topics.Status(), t.status("offline", "connection lost"), 1, true)
	if c.Username != "" {
		o.SetUsername(c.Username)
		o.SetPassword(c.Password.Reveal())
	}
	if tlsCfg, err := tlsConfig(c.TLS, brokers); err != nil {
		return nil, err
	} else if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	o.SetStore(t.store)
	o.SetConnectionNotificationHandler(t.onConnNotification)
	o.SetOnConnectHandler(t.onConnect)
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		t.connected.Store(false)
		t.notify()
		t.log.Warn("MQTT connection lost", "err", err)
	})
	// paho's backoff is exponential but not jittered: add up to half of
	// reconnect_min of random delay before each attempt so a city-wide
	// power restoration does not synchronise every camera.
	o.SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
		t.reconnects.Add(1)
		tm := t.clk.NewTimer(t.jitter(c.ReconnectMin / 2))
		defer tm.Stop()
		select {
		case <-tm.C():
		case <-ctx.Done():
		}
	})
	return o, nil
}

func tlsConfig(c config.MQTTTLS, brokers []string) (*tls.Config, error) {
	useTLS := false
	for _, b := range brokers {
		if u, err := url.Parse(b); err == nil && (u.Scheme == "mqtts" || u.Scheme == "ssl" || u.Scheme == "tls") {
			useTLS = true
		}
	}
	if !useTLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt tls ca_file %s: no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// onConnNotification tells the operator why the broker cannot be reached
// (paho retries on its own and says nothing) and records which broker of
// the failover list the connection went to.
func (t *Telemetry) onConnNotification(_ mqtt.Client, n mqtt.ConnectionNotification) {
	switch n := n.(type) {
	case mqtt.ConnectionNotificationBroker:
		u := redactURL(n.Broker)
		t.trying.Store(&u)
	case mqtt.ConnectionNotificationConnected:
		if u := t.trying.Load(); u != nil {
			t.brokerURL.Store(u)
		}
	case mqtt.ConnectionNotificationBrokerFailed:
		t.log.Warn("MQTT broker unreachable, trying the next", "broker", redactURL(n.Broker), "err", n.Reason)
	case mqtt.ConnectionNotificationFailed:
		t.log.Warn("MQTT connection failed; retrying with backoff", "err", n.Reason)
	}
}

// redactURL drops any user information from a broker URL before it is
// logged or published.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}

// onConnect runs on its own goroutine (paho starts one per connection).
func (t *Telemetry) onConnect(c mqtt.Client) {
	t.connected.Store(true)
	t.notify()
	t.log.Info("MQTT connected")
	c.Publish(t.topics.Status(), 1, true, t.status("online", ""))
	handler := func(_ mqtt.Client, m mqtt.Message) {
		select {
		case t.cmds <- m:
		default:
			t.cmdDropped.Add(1)
		}
	}
	tok := c.SubscribeMultiple(map[string]byte{t.topics.CmdFilter(): 1, t.topics.FleetCmd("+"): 0}, handler)
	if !tok.WaitTimeout(publishTimeout) || tok.Error() != nil {
		t.log.Warn("MQTT command subscription failed", "err", tok.Error())
		return
	}
	t.readyOnce.Do(func() { close(t.ready) })
}

func (t *Telemetry) status(state, reason string) []byte {
	b, _ := json.Marshal(Status{Schema: SchemaStatus, Device: t.topics.Device, State: state, Firmware: t.opts.Version,
		BootTime: t.boot, LastRebootReason: t.lastReboot, Reason: reason})
	return b
}

func (t *Telemetry) loop(ctx context.Context) {
	health := t.clk.NewTicker(t.cfg.HealthInterval)
	defer health.Stop()
	sample := t.clk.NewTicker(sampleInterval)
	defer sample.Stop()
	t.samp.observe(t.opts.Stats(), t.clk.Now())
	for {
		// One event at a time is taken from the queue, numbered, and held
		// until the gate opens; the gate is checked right before Publish,
		// not before waiting, because the connection may have come up
		// meanwhile.
		evCh := t.events
		if t.held != nil {
			evCh = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
		case <-t.store.flushed:
		case now := <-sample.C():
			t.sample(now)
		case <-health.C():
			t.publish(t.topics.Health(), 0, false, t.healthJSON())
		case m := <-t.cmds:
			t.handle(ctx, m)
		case ev := <-evCh:
			t.held = t.numberEvent(ev)
		}
		if t.held != nil && !t.eventGate() {
			t.sendHeld()
		}
	}
}

// eventGate reports whether new events must wait in the queue. While
// connected, an event is handed to paho only when the store holds no
// unacknowledged message: after a (re)connection paho resends the stored
// messages while anything published meanwhile goes straight out, and a
// Publish caught by a dying connection stays blocked on paho's outgoing
// channel and is written first on the next connection — either way a new
// event would overtake older ones. While disconnected, events go to the
// store at once (in order, and on disk with store_dir), which never blocks.
// The cost: while connected, one QoS 1 message in flight at a time, that is
// one event per broker round trip; bursts wait in the bounded queue.
func (t *Telemetry) eventGate() bool {
	return t.client.IsConnectionOpen() && t.store.pending()
}

func (t *Telemetry) notify() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// heldEvent is an event with its sequence number, ready to publish.
type heldEvent struct {
	topic   string
	payload []byte
}

// numberEvent assigns the next sequence number and persists it before the
// event can be published, so a crash never reuses a number.
func (t *Telemetry) numberEvent(ev Event) *heldEvent {
	t.seq++
	ev.Seq = t.seq
	t.saveSeq()
	b, _ := json.Marshal(ev)
	return &heldEvent{topic: t.topics.Event(ev.Type), payload: b}
}

func (t *Telemetry) sendHeld() {
	t.publish(t.held.topic, 1, false, t.held.payload)
	t.published.Add(1)
	t.held = nil
}

// publish hands a message to paho without waiting for the broker: a QoS 1
// message is in the store before Publish returns.
func (t *Telemetry) publish(topic string, qos byte, retained bool, payload []byte) {
	t.client.Publish(topic, qos, retained, payload)
}

// sample updates rates and raises the events that come from counters.
func (t *Telemetry) sample(now time.Time) {
	p := t.opts.Stats()
	for _, e := range t.samp.observe(p, now) {
		t.Event(e.typ, e.data)
	}
}

// jitter is a uniformly random duration in [0, max).
func (t *Telemetry) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	t.rndMu.Lock()
	defer t.rndMu.Unlock()
	return time.Duration(t.rnd.Int64N(int64(max)))
}
