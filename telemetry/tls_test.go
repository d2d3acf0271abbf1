package telemetry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"camagent/config"
	"camagent/internal/testtool"
)

// testPKI is a CA with the certificates a mutual-TLS broker test needs,
// written as PEM files into a temporary directory.
type testPKI struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "camagent test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &testPKI{dir: t.TempDir(), caCert: ca, caKey: key, serial: 1}
	p.write(t, "ca.pem", "CERTIFICATE", der)
	return p
}

func (p *testPKI) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *testPKI) caFile() string { return filepath.Join(p.dir, "ca.pem") }

// issue signs a certificate for cn (a server certificate for 127.0.0.1 when
// server is true, else a client one) and returns the certificate and key files.
func (p *testPKI) issue(t *testing.T, cn string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, cn+".pem", "CERTIFICATE", der), p.write(t, cn+".key", "PRIVATE KEY", kder)
}

// docsACL is the broker ACL exactly as docs/mqtt.md documents it, so this
// test fails when the documentation drifts from what works.
func docsACL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/mqtt.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const marker = "# /etc/mosquitto/camagent.acl\n"
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatal("docs/mqtt.md has no camagent.acl block")
	}
	acl := doc[i+len(marker):]
	acl = acl[:strings.Index(acl, "```")]
	return acl
}

// startTLSMosquitto runs Mosquitto with the documented mutual-TLS listener
// settings and ACL.
func startTLSMosquitto(t *testing.T, pki *testPKI) *testtool.Mosquitto {
	t.Helper()
	srvCert, srvKey := pki.issue(t, "broker", true)
	aclFile := filepath.Join(pki.dir, "camagent.acl")
	if err := os.WriteFile(aclFile, []byte(docsACL(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	return testtool.StartMosquitto(t, "cafile "+pki.caFile()+"\ncertfile "+srvCert+"\nkeyfile "+srvKey+
		"\nrequire_certificate true\nuse_identity_as_username true\nacl_file "+aclFile+"\n")
}

// tlsClient connects with the client certificate of cn ("" for none).
func tlsClient(t *testing.T, pki *testPKI, url, clientID, cn string) (mqtt.Client, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(pki.caCert)
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	if cn != "" {
		cf, kf := pki.issue(t, cn, false)
		cert, err := tls.LoadX509KeyPair(cf, kf)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(clientID).SetCleanSession(true).
		SetTLSConfig(tc).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(6 * time.Second) {
		return nil, os.ErrDeadlineExceeded
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// The documented production setup: Mosquitto with require_certificate,
// use_identity_as_username and the ACL of docs/mqtt.md. The device
// connects over mqtts:// with its certificate; the controller polls it and
// commands it; a client with another valid identity cannot command it; a
// client without a certificate cannot connect at all.
func TestMutualTLSAndDocumentedACL(t *testing.T) {
	pki := newTestPKI(t)
	broker := startTLSMosquitto(t, pki)
	const dev = "cam-tls"
	c := testMQTTConfig(broker.TLSURL())
	cf, kf := pki.issue(t, dev, false)
	c.TLS = config.MQTTTLS{CAFile: pki.caFile(), CertFile: cf, KeyFile: kf}
	_, fa := startTelemetry(t, dev, c)
	tp := Topics{"camagent", dev}

	// The controller identity: a health poll and a keyframe command work.
	cc, err := tlsClient(t, pki, broker.TLSURL(), "controller", "controller")
	if err != nil {
		t.Fatalf("controller connect: %v", err)
	}
	ctl := &controller{t: t, c: cc, id: "controller"}
	if r := ctl.command(tp.Cmd(CmdHealth), Command{}); !r.OK || r.Device != dev {
		t.Fatalf("health over mutual TLS: %+v", r)
	}
	if r := ctl.command(tp.Cmd(CmdKeyframe), Command{}); !r.OK {
		t.Fatalf("keyframe over mutual TLS: %+v", r)
	}
	if n := fa.keyframes.Load(); n != 1 {
		t.Fatalf("keyframes = %d after the controller's command, want 1", n)
	}
	// The controller sees every command published to the device, so the
	// broker's decision is observable: a command it forwarded would show up
	// here before the controller's own marker.
	cmds := ctl.subscribe(tp.Cmd("#"), 1)
	rogueReply := ReplyPrefix("camagent") + "rogue/x"
	replies := ctl.subscribe(rogueReply, 1)

	rogues := []struct{ name, cn string }{
		{"another device's certificate", "cam-rogue"},
		{"a certificate with an unknown identity", "intruder"},
	}
	for _, rg := range rogues {
		t.Run(rg.name, func(t *testing.T) {
			rc, err := tlsClient(t, pki, broker.TLSURL(), rg.cn, rg.cn)
			if err != nil {
				t.Fatalf("a valid certificate must still connect: %v", err)
			}
			b, _ := json.Marshal(Command{ID: "rogue-" + rg.cn, ReplyTo: rogueReply})
			// Mosquitto acknowledges a denied QoS 1 publish and drops it.
			if tok := rc.Publish(tp.Cmd(CmdKeyframe), 1, false, b); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
				t.Fatalf("rogue publish: %v", tok.Error())
			}
			// The rogue's PUBACK came first, so the broker handled its
			// publish before the marker; the marker round trip through the
			// device also flushes anything the device might have queued.
			marker := ctl.command(tp.Cmd(CmdHealth), Command{ID: "marker-" + rg.cn})
			if !marker.OK {
				t.Fatalf("marker: %+v", marker)
			}
			for done := false; !done; {
				select {
				case m := <-cmds:
					var got Command
					_ = json.Unmarshal(m.Payload(), &got)
					if strings.HasPrefix(got.ID, "rogue-") {
						t.Fatalf("the broker forwarded the rogue command %s on %s", got.ID, m.Topic())
					}
					done = got.ID == "marker-"+rg.cn
				case <-time.After(3 * time.Second):
					t.Fatal("the controller's own marker command never came back")
				}
			}
			select {
			case m := <-replies:
				t.Fatalf("the device answered the rogue: %s", m.Payload())
			default:
			}
			if n := fa.keyframes.Load(); n != 1 {
				t.Fatalf("keyframes = %d, want 1: the device acted on the rogue's command", n)
			}
		})
	}

	t.Run("no client certificate", func(t *testing.T) {
		if rc, err := tlsClient(t, pki, broker.TLSURL(), "anon", ""); err == nil {
			rc.Disconnect(0)
			t.Fatal("a client without a certificate connected")
		}
	})

	t.Run("a device cannot write outside its subtree", func(t *testing.T) {
		// cam-rogue publishing a retained offline status for cam-tls must
		// not reach subscribers.
		rc, err := tlsClient(t, pki, broker.TLSURL(), "cam-rogue-2", "cam-rogue")
		if err != nil {
			t.Fatal(err)
		}
		st := ctl.subscribe(tp.Status(), 1)
		// The retained online status arrives first.
		select {
		case <-st:
		case <-time.After(3 * time.Second):
			t.Fatal("no retained status")
		}
		if tok := rc.Publish(tp.Status(), 1, true, []byte(`{"state":"offline"}`)); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		if r := ctl.command(tp.Cmd(CmdHealth), Command{}); !r.OK {
			t.Fatalf("marker: %+v", r)
		}
		select {
		case m := <-st:
			t.Fatalf("forged status reached the controller: %s", m.Payload())
		default:
		}
	})
}
