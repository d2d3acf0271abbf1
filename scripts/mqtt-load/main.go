// Command mqtt-load measures a fleet health poll against a real Mosquitto:
// it starts the broker on a free loopback port (or uses -broker), connects
// N simulated devices from this one process — each a real MQTT connection
// with its retained status and last will, answering the fleet and its own
// health command with a pre-built health document after the same random
// delay below telemetry.FleetJitter as the agent — and then runs
// `camctl poll --json` over the fleet. It prints how long until every
// device answered and the CPU time of the broker, the simulated devices
// and camctl during the poll (from /proc and the child's rusage).
//
// It is a measurement, not a test: run it through scripts/mqtt-load/run.sh.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/telemetry"
)

func main() {
	n := flag.Int("n", 100, "simulated devices")
	camctl := flag.String("camctl", "camctl", "camctl binary")
	broker := flag.String("broker", "", "use this broker (mqtt://127.0.0.1:PORT) instead of starting mosquitto")
	mosq := flag.String("mosquitto", "mosquitto", "mosquitto binary")
	timeout := flag.Duration("timeout", 5*time.Second, "camctl poll -timeout")
	flag.Parse()
	if err := run(*n, *camctl, *broker, *mosq, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "mqtt-load:", err)
		os.Exit(1)
	}
}

func run(n int, camctl, brokerURL, mosqBin string, timeout time.Duration) error {
	if err := raiseFDLimit(uint64(2*n + 256)); err != nil {
		return err
	}
	brokerPID := 0
	if brokerURL == "" {
		stop, url, pid, err := startMosquitto(mosqBin)
		if err != nil {
			return err
		}
		defer stop()
		brokerURL, brokerPID = url, pid
	}

	health := prebuiltHealth()
	devs := make([]mqtt.Client, n)
	defer func() {
		for _, c := range devs {
			if c != nil {
				c.Disconnect(0)
			}
		}
	}()
	start := time.Now()
	var answered atomic.Int64
	sem := make(chan struct{}, 64) // bounded connection storm
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := device(brokerURL, fmt.Sprintf("sim-%05d", i), health, &answered)
			if err != nil {
				errs <- err
				return
			}
			devs[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("device connect: %w", err)
	}
	fmt.Printf("devices=%d connected in %.2fs (broker %s), health document %d bytes\n", n, time.Since(start).Seconds(), brokerURL, len(health))

	selfBefore := cpuTicks(os.Getpid())
	brokerBefore := cpuTicks(brokerPID)
	cmd := exec.Command(camctl, "-broker", brokerURL, "-timeout", timeout.String(), "poll", "--json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	t0 := time.Now()
	runErr := cmd.Run()
	wall := time.Since(t0)
	selfCPU := cpuTicks(os.Getpid()) - selfBefore
	brokerCPU := cpuTicks(brokerPID) - brokerBefore
	var res struct {
		Health  map[string]json.RawMessage `json:"health"`
		Missing []string                   `json:"missing"`
		Elapsed float64                    `json:"elapsed_s"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("camctl output (%v): %v\n%s%s", runErr, err, out.String(), errOut.String())
	}
	var ee *exec.ExitError
	if runErr != nil && !errors.As(runErr, &ee) {
		return runErr
	}
	ps := cmd.ProcessState
	tick := float64(clkTck())
	fmt.Printf("answered=%d/%d missing=%d replies_sent=%d all_answered_after=%.3fs camctl_wall=%.3fs exit=%d\n",
		len(res.Health), n, len(res.Missing), answered.Load(), res.Elapsed, wall.Seconds(), ps.ExitCode())
	brokerStr := "n/a (external broker)"
	if brokerPID != 0 {
		brokerStr = fmt.Sprintf("%.3fs", float64(brokerCPU)/tick)
	}
	fmt.Printf("cpu during poll: broker=%s devices(this process)=%.3fs camctl=%.3fs (user %.3fs + sys %.3fs)\n",
		brokerStr, float64(selfCPU)/tick, (ps.UserTime() + ps.SystemTime()).Seconds(), ps.UserTime().Seconds(), ps.SystemTime().Seconds())
	if len(res.Health) != n {
		return fmt.Errorf("only %d of %d devices answered", len(res.Health), n)
	}
	return nil
}

// device connects one simulated device: retained online status with an
// offline will, and a responder for health commands (own and fleet).
func device(url, id string, health json.RawMessage, answered *atomic.Int64) (mqtt.Client, error) {
	tp := telemetry.Topics{Prefix: "camagent", Device: id}
	status := func(state string) []byte {
		b, _ := json.Marshal(telemetry.Status{Schema: telemetry.SchemaStatus, Device: id, State: state, Firmware: "load"})
		return b
	}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
		SetKeepAlive(60*time.Second).SetAutoReconnect(false).SetConnectTimeout(10*time.Second).
		SetOrderMatters(false).SetBinaryWill(tp.Status(), status("offline"), 1, true)
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("%s: %v", id, tok.Error())
	}
	handler := func(c mqtt.Client, m mqtt.Message) {
		var cmd telemetry.Command
		if json.Unmarshal(m.Payload(), &cmd) != nil || !strings.HasPrefix(cmd.ReplyTo, telemetry.ReplyPrefix("camagent")) {
			return
		}
		b, _ := json.Marshal(telemetry.Reply{Schema: telemetry.SchemaReply, ID: cmd.ID, Device: id, Cmd: telemetry.CmdHealth, OK: true, Result: health})
		time.AfterFunc(rand.N(telemetry.FleetJitter), func() {
			c.Publish(cmd.ReplyTo, 1, false, b)
			answered.Add(1)
		})
	}
	tok := c.SubscribeMultiple(map[string]byte{tp.Cmd(telemetry.CmdHealth): 1, tp.FleetCmd(telemetry.CmdHealth): 0}, handler)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("%s subscribe: %v", id, tok.Error())
	}
	if tok := c.Publish(tp.Status(), 1, true, status("online")); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("%s status: %v", id, tok.Error())
	}
	return c, nil
}

// prebuiltHealth is a realistic document (same size and shape as an agent's).
func prebuiltHealth() json.RawMessage {
	temp := 51.5
	h := telemetry.Health{Schema: telemetry.SchemaHealth, Device: "sim", Time: time.Now().UTC(), Firmware: "load",
		BootTime: time.Now().UTC(), UptimeS: 3600, Verdict: "ok", Reasons: []string{},
		System:  telemetry.System{Load1: 0.4, Load5: 0.3, Load15: 0.2, CPUTempC: &temp, MemTotalBytes: 4 << 30, MemAvailableBytes: 3 << 30, Disks: []telemetry.Disk{{Path: "/", TotalBytes: 32 << 30, FreeBytes: 20 << 30}}},
		Network: []telemetry.NetIf{{Name: "eth0", Up: true, Addresses: []string{"192.0.2.17/24", "fe80::1/64"}, RxBytes: 1 << 30, TxBytes: 40 << 30}},
		Camera:  telemetry.Camera{Device: "/dev/video0", Mode: "1920x1080 NV12", ConfiguredFPS: 30, MeasuredFPS: 30, FramesCaptured: 108000},
		Encoder: &telemetry.Encoder{Backend: "v4l2-m2m", Reason: "hardware", BitrateKbps: 2000, Keyframes: 3600},
		RTSP:    telemetry.RTSP{Readers: 2, Sessions: 5}, MQTT: telemetry.MQTTStats{Connected: true, QueueCapacity: 256},
		TimeSync: telemetry.TimeSync{Synchronized: true, MaxErrorS: 0.01}, ConfigHash: strings.Repeat("ab", 32)}
	b, _ := json.Marshal(h)
	return b
}

func raiseFDLimit(want uint64) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur >= want {
		return nil
	}
	if l.Max < want {
		return fmt.Errorf("open-file limit %d (hard) is below the %d this run needs; raise it with ulimit -Hn", l.Max, want)
	}
	l.Cur = want
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l) // inherited by mosquitto
}

// startMosquitto runs a broker on a free loopback port, anonymous, no
// persistence, logging errors only.
func startMosquitto(bin string) (stop func(), url string, pid int, err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "mqtt-load-")
	if err != nil {
		return nil, "", 0, err
	}
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type error\nmax_queued_messages 10000\n", port)
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	cf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		return nil, "", 0, err
	}
	cmd := exec.Command(bin, "-c", cf)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", 0, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); os.RemoveAll(dir) }
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return stop, "mqtt://" + addr, cmd.Process.Pid, nil
		}
		select {
		case <-ctx.Done():
			stop()
			return nil, "", 0, fmt.Errorf("mosquitto not listening on %s after 10 s", addr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// cpuTicks is utime+stime of pid in clock ticks (0 for pid 0).
func cpuTicks(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	u, _ := strconv.ParseInt(f[11], 10, 64)                  // field 14 utime
	st, _ := strconv.ParseInt(f[12], 10, 64)                 // field 15 stime
	return u + st
}

func clkTck() int64 {
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
}
