package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
	"camagent/internal/testtool"
)

// passwordBroker runs Mosquitto that refuses anonymous clients and knows
// the given users (mosquitto_passwd hashes the passwords).
func passwordBroker(t *testing.T, users map[string]string) *testtool.Mosquitto {
	t.Helper()
	bin := testtool.Need(t, "mosquitto_passwd")
	file := filepath.Join(t.TempDir(), "passwd")
	first := true
	for u, p := range users {
		args := []string{"-b", file, u, p}
		if first {
			args = append([]string{"-c"}, args...)
			first = false
		}
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v %s", err, out)
		}
	}
	return testtool.StartMosquitto(t, fmt.Sprintf("allow_anonymous false\npassword_file %s\n", file))
}

// Failover and broker credentials: the first broker in the list is down,
// so the device connects to the second with its username and password and
// answers the controller there. A wrong password never connects, and no
// password appears in the log either way.
func TestBrokerFailoverWithPassword(t *testing.T) {
	const devPass, ctlPass = "device-secret-31", "controller-secret-42"
	broker := passwordBroker(t, map[string]string{"cam-pw": devPass, "controller": ctlPass})
	dead := fmt.Sprintf("mqtt://127.0.0.1:%d", testtool.FreePort(t, "tcp"))

	c := testMQTTConfig(dead)
	c.Brokers = append(c.Brokers, broker.URL())
	c.Username, c.Password = "cam-pw", config.Secret(devPass)
	tel, _ := startTelemetry(t, "cam-pw", c)
	if got := tel.BrokerURL(); got != broker.URL() {
		t.Errorf("connected to %q, want the second broker %q", got, broker.URL())
	}
	o := mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("controller").SetUsername("controller").SetPassword(ctlPass)
	cc := mqtt.NewClient(o)
	if tok := cc.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("controller connect: %v", tok.Error())
	}
	t.Cleanup(func() { cc.Disconnect(100) })
	ctl := &controller{t: t, c: cc, id: "controller"}
	if r := ctl.command(Topics{"camagent", "cam-pw"}.Cmd(CmdHealth), Command{}); !r.OK || r.Device != "cam-pw" {
		t.Fatalf("health through the failover broker: %+v", r)
	}

	// The same device with a wrong password: refused by the broker, it
	// keeps retrying with backoff and never reports itself connected.
	var logs testtool.SyncBuffer
	bad := testMQTTConfig(broker.URL())
	bad.Username, bad.Password = "cam-pw", config.Secret("wrong-password-9")
	fa := &fakeAgent{}
	tel2, err := New(Options{Config: bad, DeviceID: "cam-pw2", Version: "test-1", Stats: fa.stats, Actions: fa,
		Host: fixedHost{}, ConfigHash: func() string { return "x" }, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tel2.Run(ctx) }()
	testtool.WaitFor(t, 10*time.Second, "a refused connection in the log", func() bool {
		return strings.Contains(strings.ToLower(logs.String()), "not authorized") || strings.Contains(logs.String(), "bad user name or password")
	})
	select {
	case <-tel2.Connected():
		t.Error("connected with a wrong password")
	default:
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	for _, secret := range []string{devPass, "wrong-password-9"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a password is in the log:\n%s", logs.String())
		}
	}
}
