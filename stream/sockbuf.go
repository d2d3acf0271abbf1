package stream

import "net"

// readerSendBuffer caps the kernel's send buffer of each RTSP connection.
// Linux otherwise autotunes it up to 4 MiB per socket: 64 stalled readers
// could pin 256 MiB of a camera's memory, and a stalled reader would hide
// behind tens of seconds of buffered video before its bounded queue (and
// so the drop accounting and resync) ever noticed. 256 KiB still covers the
// bandwidth-delay product of 8 Mbit/s over a 200 ms path.
const readerSendBuffer = 256 << 10

// listenBounded is gortsplib's Listen hook: a TCP listener whose accepted
// connections get the bounded send buffer.
func listenBounded(network, address string) (net.Listener, error) {
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return boundedListener{l}, nil
}

type boundedListener struct{ net.Listener }

func (l boundedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		// Best effort: a refusal leaves the kernel default, which is safe.
		_ = tc.SetWriteBuffer(readerSendBuffer)
	}
	return c, nil
}
