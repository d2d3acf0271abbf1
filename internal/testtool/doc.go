// Package testtool finds the external programs integration tests drive
// (ffmpeg, ffprobe, mosquitto). A missing tool fails the test under CI=true
// and skips it elsewhere. Only _test.go files import it.
package testtool
