package app

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
	"camagent/device"
	"camagent/internal/testtool"
	"camagent/telemetry"
)

const opUser, opPass = "installer", "operator-pass-7"

func line(name string) *device.LineRef { return &device.LineRef{Chip: "fake", Line: name} }

// The board wired into the agent: the tamper switch reaches MQTT (a QoS 1
// event), ONVIF (tns1:Device/Trigger/DigitalInput) and health; the LED
// shows the agent's state; the watchdog is fed while pictures flow; the
// day/night switch follows the picture's luma and the MQTT override.
func TestBoardWiredIntoAgent(t *testing.T) {
	gpio := device.NewFakeOpener()
	wd := device.NewFakeWatchdog()
	_, a := startAgentWith(t, func(c *config.Config) {
		c.Board.StatusLED = line("led")
		c.Board.Tamper = line("tamper")
		c.Board.DayNight.IRCut = line("ircut")
		c.Board.DayNight.Illuminator = line("ir")
		c.Board.DayNight.MinDwell = time.Millisecond
		c.Board.Watchdog.Enabled = true
		c.Users = append(c.Users, config.User{Name: opUser, Password: opPass, Role: "operator"})
	}, func(o *Options) { o.GPIO, o.Watchdog = gpio, wd })

	// MQTT: subscribe to the device's events on the embedded broker.
	tel := a.Telemetry()
	events := make(chan telemetry.Event, 16)
	cl := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(tel.BrokerURL()).SetClientID("board-test"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer cl.Disconnect(100)
	tok := cl.Subscribe(tel.Topics().Event("+"), 1, func(_ mqtt.Client, m mqtt.Message) {
		var e telemetry.Event
		if json.Unmarshal(m.Payload(), &e) == nil {
			events <- e
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}

	// ONVIF: a pull point before the switch opens.
	dev := fmt.Sprintf("http://%s/onvif/device_service", a.ONVIFAddr())
	resp := soapCall(t, dev, wsSecurity(testUser, testPass),
		`<tev:CreatePullPointSubscription`+tevNS+`><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`)
	m := regexp.MustCompile(`<wsa:Address>([^<]+)</wsa:Address>`).FindStringSubmatch(resp)
	if m == nil {
		t.Fatalf("CreatePullPointSubscription:\n%s", resp)
	}

	gpio.In["fake:tamper"].Drive(true)
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case e := <-events:
			got = e.Type == telemetry.EventTamper && string(e.Data) == `{"state":"open"}`
		case <-deadline:
			t.Fatal("no tamper event on MQTT")
		}
	}
	if b := a.pipelineStats().Board; b.Tamper == nil || *b.Tamper != "open" || !b.Provisioned {
		t.Errorf("health board = %+v", b)
	}
	var seen []string
	re := regexp.MustCompile(`>tns1:Device/Trigger/DigitalInput</wsnt:Topic>.*?PropertyOperation="(\w+)".*?Name="InputToken" Value="(\w+)".*?Name="LogicalState" Value="(\w+)"`)
	for i := 0; i < 4 && !strings.Contains(strings.Join(seen, ","), "Changed tamper true"); i++ {
		body := soapCall(t, m[1], wsSecurity(testUser, testPass),
			`<tev:PullMessages`+tevNS+`><tev:Timeout>PT2S</tev:Timeout><tev:MessageLimit>16</tev:MessageLimit></tev:PullMessages>`)
		for _, e := range re.FindAllStringSubmatch(body, -1) {
			seen = append(seen, e[1]+" "+e[2]+" "+e[3])
		}
	}
	if !strings.Contains(strings.Join(seen, ","), "Changed tamper true") {
		t.Errorf("ONVIF DigitalInput events: %q", seen)
	}

	// The watchdog is fed while the encoder produces.
	select {
	case <-wd.Pinged():
	case <-time.After(10 * time.Second):
		t.Fatal("watchdog never fed")
	}
	// The LED leaves "starting" once the stream is up.
	testtool.WaitFor(t, 10*time.Second, "LED state ok", func() bool { return a.board.LED.State() == device.StateOK })
	// Day/night: ONVIF Imaging IrCutFilter OFF (filter out) is night.
	img := fmt.Sprintf("http://%s/onvif/imaging_service", a.ONVIFAddr())
	const timgNS = ` xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"`
	got := soapCall(t, img, wsSecurity(testUser, testPass), `<timg:GetImagingSettings`+timgNS+`><timg:VideoSourceToken>video_source</timg:VideoSourceToken></timg:GetImagingSettings>`)
	if !strings.Contains(got, "<tt:IrCutFilter>AUTO</tt:IrCutFilter>") {
		t.Fatalf("GetImagingSettings:\n%s", got)
	}
	soapCall(t, img, wsSecurity(opUser, opPass), `<timg:SetImagingSettings`+timgNS+`><timg:VideoSourceToken>video_source</timg:VideoSourceToken>`+
		`<timg:ImagingSettings><tt:IrCutFilter>OFF</tt:IrCutFilter></timg:ImagingSettings></timg:SetImagingSettings>`)
	testtool.WaitFor(t, 10*time.Second, "IR-cut filter out and illuminator on", func() bool {
		return gpio.Out["fake:ircut"].Value() && gpio.Out["fake:ir"].Value()
	})
	h := a.pipelineStats().Board
	if h.DayNight == nil || h.DayNight.Mode != "night" || h.DayNight.State != "night" || h.DayNight.Luma == nil || h.Watchdog == nil || !h.Watchdog.Feeding {
		t.Errorf("health board = %+v day_night=%+v watchdog=%+v", h, h.DayNight, h.Watchdog)
	}
}

func TestBoardMissingLineIsAClearError(t *testing.T) {
	gpio := device.NewFakeOpener()
	gpio.Missing["fake:GPIO99"] = true
	cfg := loopbackConfig(t)
	cfg.Board.Tamper = line("GPIO99")
	_, err := New(cfg, Options{GPIO: gpio})
	if err == nil || !strings.Contains(err.Error(), "board: tamper") || !strings.Contains(err.Error(), "GPIO99") {
		t.Fatalf("err = %v", err)
	}
}

func TestFactoryResetWipesConfigAndStops(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "camagent.yaml")
	store := filepath.Join(dir, "mqtt-queue")
	outside := filepath.Join(t.TempDir(), "ca.pem")
	for _, p := range []string{cfgPath, outside} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(store, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := loopbackConfig(t)
	cfg.MQTT.StoreDir = store
	cfg.MQTT.TLS.CAFile = outside
	a, done := runWithConfigPath(t, cfg, cfgPath)
	a.factoryReset()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after factory reset: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not stop after the factory reset")
	}
	for _, p := range []string{cfgPath, store} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the factory reset", p)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("a file outside the data directory was removed: %v", err)
	}
}

// Under systemd (Type=notify, WatchdogSec=): READY=1 once the stream is
// up, then WATCHDOG=1 while pictures flow.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000")
	got := make(chan string, 16)
	go func() {
		buf := make([]byte, 256)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	startAgent(t, nil)
	var seen []string
	deadline := time.After(15 * time.Second)
	for !slices.Contains(seen, "READY=1") || !slices.Contains(seen, "WATCHDOG=1") {
		select {
		case m := <-got:
			seen = append(seen, m)
		case <-deadline:
			t.Fatalf("systemd notifications: %q", seen)
		}
	}
	if seen[0] != "READY=1" {
		t.Errorf("first notification %q, want READY=1", seen[0])
	}
}
