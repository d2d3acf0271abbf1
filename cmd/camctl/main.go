package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/telemetry"
)

const usage = `usage: camctl [flags] COMMAND
  poll [DEVICE...]                 health of the devices (none: the whole fleet)
  watch                            live status, health and events
  cmd DEVICE keyframe|reboot|config-get
  cmd DEVICE config-set FILE
  cmd DEVICE daynight auto|day|night
exit status: 0 done; 1 failure (broker unreachable, command refused, no reply);
2 bad command line; 3 poll incomplete (a device did not answer or answered
with an error; the answers received are printed).
flags:
`

type opts struct {
	broker, prefix, user, pass, ca, cert, key, signKey string
	json                                               bool
	timeout                                            time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o opts
	fs := flag.NewFlagSet("camctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&o.broker, "broker", envOr("CAMCTL_BROKER", "mqtt://127.0.0.1:1883"), "broker URL (mqtt:// or mqtts://)")
	fs.StringVar(&o.prefix, "prefix", "camagent", "topic prefix")
	fs.StringVar(&o.user, "user", os.Getenv("CAMCTL_USER"), "broker user name")
	fs.StringVar(&o.pass, "password-file", "", "file holding the broker password")
	fs.StringVar(&o.ca, "ca", "", "CA bundle (PEM) for mqtts://")
	fs.StringVar(&o.cert, "cert", "", "client certificate (PEM)")
	fs.StringVar(&o.key, "cert-key", "", "client certificate key (PEM)")
	fs.StringVar(&o.signKey, "sign-key", os.Getenv("CAMCTL_SIGN_KEY"), "file with the base64 Ed25519 private key (seed or full key) that signs commands")
	fs.BoolVar(&o.json, "json", false, "JSON output")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "how long to wait for answers")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(rest) == 0 {
		fs.Usage()
		return 2
	}
	switch rest[0] {
	case "poll":
		err = poll(ctx, o, rest[1:], stdout)
	case "watch":
		err = watch(ctx, o, stdout)
	case "cmd":
		err = command(ctx, o, rest[1:], stdout)
	default:
		fs.Usage()
		return 2
	}
	var ue usageError
	var pe partialError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "camctl: %v\n", err)
		return 2
	case errors.As(err, &pe):
		fmt.Fprintf(stderr, "camctl: %v\n", err)
		return 3
	case err != nil:
		fmt.Fprintf(stderr, "camctl: %v\n", err)
		return 1
	}
	return 0
}

// parseInterleaved accepts flags anywhere, as operators type them:
// "camctl poll --json" as well as "camctl --json poll".
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// partialError: the poll printed what it got, but not every device answered.
type partialError struct{ missing, failed int }

func (e partialError) Error() string {
	return fmt.Sprintf("poll incomplete: %d device(s) did not answer, %d answered with an error", e.missing, e.failed)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func connect(o opts) (mqtt.Client, string, error) {
	id := "camctl-" + randHex(6)
	co := mqtt.NewClientOptions().AddBroker(o.broker).SetClientID(id).SetCleanSession(true).
		SetOrderMatters(false).SetConnectTimeout(5 * time.Second).SetAutoReconnect(false)
	if o.user != "" {
		co.SetUsername(o.user)
		if o.pass != "" {
			b, err := os.ReadFile(o.pass)
			if err != nil {
				return nil, "", err
			}
			co.SetPassword(strings.TrimSpace(string(b)))
		}
	}
	if o.ca != "" || o.cert != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if o.ca != "" {
			pem, err := os.ReadFile(o.ca)
			if err != nil {
				return nil, "", err
			}
			tc.RootCAs = x509.NewCertPool()
			tc.RootCAs.AppendCertsFromPEM(pem)
		}
		if o.cert != "" {
			c, err := tls.LoadX509KeyPair(o.cert, o.key)
			if err != nil {
				return nil, "", err
			}
			tc.Certificates = []tls.Certificate{c}
		}
		co.SetTLSConfig(tc)
	}
	c := mqtt.NewClient(co)
	tok := c.Connect()
	if !tok.WaitTimeout(6 * time.Second) {
		return nil, "", fmt.Errorf("connect %s: timed out", o.broker)
	}
	if err := tok.Error(); err != nil {
		return nil, "", fmt.Errorf("connect %s: %w", o.broker, err)
	}
	return c, id, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func subscribe(c mqtt.Client, filter string, h mqtt.MessageHandler) error {
	tok := c.Subscribe(filter, 1, h)
	if !tok.WaitTimeout(5 * time.Second) {
		return fmt.Errorf("subscribe %s: timed out", filter)
	}
	return tok.Error()
}

// send publishes a (signed, when a key is given) command.
func send(o opts, c mqtt.Client, topic, name, device string, cmd telemetry.Command) error {
	if o.signKey != "" {
		b, err := os.ReadFile(o.signKey)
		if err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("sign key: %w", err)
		}
		var key ed25519.PrivateKey
		switch len(raw) {
		case ed25519.SeedSize:
			key = ed25519.NewKeyFromSeed(raw)
		case ed25519.PrivateKeySize:
			key = ed25519.PrivateKey(raw)
		default:
			return errors.New("sign key: want a base64 Ed25519 seed (32 bytes) or private key (64 bytes)")
		}
		cmd.Device, cmd.TS, cmd.Nonce = device, time.Now().Unix(), randHex(16)
		telemetry.Sign(key, name, &cmd)
	}
	b, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	tok := c.Publish(topic, 1, false, b)
	if !tok.WaitTimeout(5 * time.Second) {
		return fmt.Errorf("publish %s: timed out", topic)
	}
	return tok.Error()
}

type pollResult struct {
	Health  map[string]json.RawMessage        `json:"health"`
	Errors  map[string][]telemetry.ReplyError `json:"errors,omitempty"`
	Missing []string                          `json:"missing"`
	Elapsed float64                           `json:"elapsed_s"`
}

func poll(ctx context.Context, o opts, devices []string, stdout io.Writer) error {
	c, id, err := connect(o)
	if err != nil {
		return err
	}
	defer c.Disconnect(100)
	var mu sync.Mutex
	res := pollResult{Health: map[string]json.RawMessage{}, Errors: map[string][]telemetry.ReplyError{}, Missing: []string{}}
	known, online := map[string]bool{}, map[string]bool{}
	answeredOnline := 0 // devices in online that answered; kept as a count so each reply costs O(1)
	for _, d := range devices {
		known[d] = true
	}
	want := len(devices)
	done := make(chan struct{}, 1)
	fleet := len(devices) == 0
	if fleet {
		// The retained status topics name every device that ever came online.
		if err := subscribe(c, telemetry.AllStatus(o.prefix), func(_ mqtt.Client, m mqtt.Message) {
			var s telemetry.Status
			if json.Unmarshal(m.Payload(), &s) == nil && s.Device != "" {
				mu.Lock()
				known[s.Device] = true
				if s.State == "online" && !online[s.Device] {
					online[s.Device] = true
					if _, ok := res.Health[s.Device]; ok {
						answeredOnline++
					}
				}
				mu.Unlock()
			}
		}); err != nil {
			return err
		}
	}
	reply := telemetry.ReplyPrefix(o.prefix) + id + "/poll"
	if err := subscribe(c, reply, func(_ mqtt.Client, m mqtt.Message) {
		var r telemetry.Reply
		if json.Unmarshal(m.Payload(), &r) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if r.OK {
			if _, dup := res.Health[r.Device]; !dup && online[r.Device] {
				answeredOnline++
			}
			res.Health[r.Device] = r.Result
		} else {
			res.Errors[r.Device] = r.Errors
		}
		// The fleet poll ends early once every device known online answered.
		complete := !fleet && len(res.Health)+len(res.Errors) >= want
		if fleet {
			complete = len(online) > 0 && answeredOnline == len(online)
		}
		if complete {
			select {
			case done <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		return err
	}
	start := time.Now()
	cmd := telemetry.Command{ID: "poll-" + randHex(4), ReplyTo: reply}
	if fleet {
		if err := send(o, c, telemetry.Topics{Prefix: o.prefix}.FleetCmd(telemetry.CmdHealth), telemetry.CmdHealth, telemetry.FleetID, cmd); err != nil {
			return err
		}
	} else {
		for _, d := range devices {
			if err := send(o, c, telemetry.Topics{Prefix: o.prefix, Device: d}.Cmd(telemetry.CmdHealth), telemetry.CmdHealth, d, cmd); err != nil {
				return err
			}
		}
	}
	t := time.NewTimer(o.timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-done:
	}
	mu.Lock()
	defer mu.Unlock()
	res.Elapsed = time.Since(start).Seconds()
	for d := range known {
		if _, ok := res.Health[d]; !ok {
			if _, ok := res.Errors[d]; !ok {
				res.Missing = append(res.Missing, d)
			}
		}
	}
	sort.Strings(res.Missing)
	var incomplete error
	if len(res.Missing) > 0 || len(res.Errors) > 0 {
		incomplete = partialError{missing: len(res.Missing), failed: len(res.Errors)}
	}
	if o.json {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
		return incomplete
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tVERDICT\tUPTIME\tFPS\tKBIT/S\tREADERS\tREASONS")
	names := make([]string, 0, len(res.Health))
	for d := range res.Health {
		names = append(names, d)
	}
	slices.Sort(names)
	for _, d := range names {
		var h telemetry.Health
		_ = json.Unmarshal(res.Health[d], &h)
		kbps := "-"
		if h.Encoder != nil {
			kbps = fmt.Sprintf("%.0f", h.Encoder.BitrateKbps)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f/%d\t%s\t%d\t%s\n", d, h.Verdict, (time.Duration(h.UptimeS) * time.Second).String(),
			h.Camera.MeasuredFPS, h.Camera.ConfiguredFPS, kbps, h.RTSP.Readers, strings.Join(h.Reasons, "; "))
	}
	for d, errs := range res.Errors {
		fmt.Fprintf(tw, "%s\tERROR\t\t\t\t\t%s\n", d, errs[0].Message)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d answered in %.2fs", len(res.Health), res.Elapsed)
	if len(res.Missing) > 0 {
		fmt.Fprintf(stdout, "; no answer from %d: %s", len(res.Missing), strings.Join(res.Missing, ", "))
	}
	fmt.Fprintln(stdout)
	return incomplete
}

func watch(ctx context.Context, o opts, stdout io.Writer) error {
	c, _, err := connect(o)
	if err != nil {
		return err
	}
	defer c.Disconnect(100)
	var mu sync.Mutex
	enc := json.NewEncoder(stdout)
	h := func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		defer mu.Unlock()
		if o.json {
			_ = enc.Encode(map[string]any{"topic": m.Topic(), "retained": m.Retained(), "payload": json.RawMessage(m.Payload())})
			return
		}
		fmt.Fprintf(stdout, "%s %s %s\n", time.Now().Format(time.TimeOnly), m.Topic(), summarize(m.Payload()))
	}
	for _, f := range []string{telemetry.AllStatus(o.prefix), telemetry.AllHealth(o.prefix), telemetry.AllEvents(o.prefix)} {
		if err := subscribe(c, f, h); err != nil {
			return err
		}
	}
	<-ctx.Done()
	return nil
}

func summarize(p []byte) string {
	var m map[string]any
	if json.Unmarshal(p, &m) != nil {
		return fmt.Sprintf("(%d bytes, not JSON)", len(p))
	}
	switch m["schema"] {
	case telemetry.SchemaHealth:
		return fmt.Sprintf("verdict=%v reasons=%v", m["verdict"], m["reasons"])
	case telemetry.SchemaStatus:
		return fmt.Sprintf("%v firmware=%v reason=%v", m["state"], m["firmware"], m["reason"])
	case telemetry.SchemaEvent:
		return fmt.Sprintf("seq=%v data=%s", m["seq"], mustJSON(m["data"]))
	}
	return string(p)
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func command(ctx context.Context, o opts, args []string, stdout io.Writer) error {
	if len(args) < 2 {
		return usageError{"cmd needs DEVICE and a command"}
	}
	device, name := args[0], args[1]
	var cmdArgs json.RawMessage
	switch name {
	case telemetry.CmdKeyframe, telemetry.CmdReboot, telemetry.CmdConfigGet:
		if len(args) != 2 {
			return usageError{name + " takes no argument"}
		}
	case telemetry.CmdConfigSet:
		if len(args) != 3 {
			return usageError{"config-set needs FILE"}
		}
		y, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		cmdArgs, _ = json.Marshal(telemetry.ConfigSetArgs{YAML: string(y)})
	case telemetry.CmdDayNight:
		if len(args) != 3 {
			return usageError{"daynight needs auto, day or night"}
		}
		cmdArgs, _ = json.Marshal(telemetry.DayNightArgs{Mode: args[2]})
	default:
		return usageError{fmt.Sprintf("unknown command %q", name)}
	}
	c, id, err := connect(o)
	if err != nil {
		return err
	}
	defer c.Disconnect(100)
	ch := make(chan telemetry.Reply, 1)
	reply := telemetry.ReplyPrefix(o.prefix) + id + "/cmd"
	if err := subscribe(c, reply, func(_ mqtt.Client, m mqtt.Message) {
		var r telemetry.Reply
		if json.Unmarshal(m.Payload(), &r) == nil {
			select {
			case ch <- r:
			default:
			}
		}
	}); err != nil {
		return err
	}
	cmd := telemetry.Command{ID: "cmd-" + randHex(4), ReplyTo: reply, Args: cmdArgs}
	if err := send(o, c, telemetry.Topics{Prefix: o.prefix, Device: device}.Cmd(name), name, device, cmd); err != nil {
		return err
	}
	t := time.NewTimer(o.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if o.json {
			_ = json.NewEncoder(stdout).Encode(r)
		} else if r.OK {
			var y struct{ YAML string }
			if name == telemetry.CmdConfigGet && json.Unmarshal(r.Result, &y) == nil {
				fmt.Fprint(stdout, y.YAML)
			} else {
				fmt.Fprintf(stdout, "%s %s: ok %s\n", device, name, r.Result)
			}
		} else {
			for _, e := range r.Errors {
				fmt.Fprintf(stdout, "%s %s: %s: %s\n", device, name, e.Code, e.Message)
			}
		}
		if !r.OK {
			return errors.New("command refused")
		}
		return nil
	case <-t.C:
		return fmt.Errorf("no reply from %s within %v", device, o.timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}
