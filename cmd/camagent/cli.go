package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"camagent/app"
	"camagent/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2 // bad command line or invalid configuration
)

// Set at build time with -ldflags -X.
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `usage:
  camagent [run] [-config FILE] [-default-config FILE] [-allow-reboot]
                                  run the agent (default; no FILE: development setup;
                                  -default-config is used, unprovisioned, while FILE is missing)
  camagent version                version, commit, Go version and module list (SBOM)
  camagent config check FILE      validate a configuration file, print every problem
  camagent devices [--json]       list V4L2 cameras (formats, sizes, fps, controls) and M2M encoders
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runAgent(ctx, args, stdout, stderr)
	case "version":
		printVersion(stdout)
		return exitOK
	case "config":
		if len(args) != 2 || args[0] != "check" {
			fmt.Fprint(stderr, usage)
			return exitUsage
		}
		return checkConfig(args[1], stdout, stderr)
	case "devices":
		return runDevices(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "camagent: unknown command %q\n%s", cmd, usage)
	return exitUsage
}

func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("run", flag.ContinueOnError)
	fset.SetOutput(stderr)
	path := fset.String("config", os.Getenv("CAMAGENT_CONFIG"), "configuration file (YAML); empty for the development setup")
	fallback := fset.String("default-config", os.Getenv("CAMAGENT_DEFAULT_CONFIG"),
		"configuration used while -config names a file that does not exist yet: the device runs unprovisioned")
	allowReboot := fset.Bool("allow-reboot", os.Getenv("CAMAGENT_ALLOW_REBOOT") == "1",
		"let the MQTT reboot command and the reset button's factory reset restart the machine (camera images set it)")
	if err := fset.Parse(args); err != nil {
		return exitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "camagent: unexpected argument %q\n%s", fset.Arg(0), usage)
		return exitUsage
	}
	// A configuration saved by MQTT config-set is applied by starting the
	// pipeline again with it, in this process: the same ports, the same
	// MQTT session; viewers reconnect after a second or two.
	for {
		load, unprovisioned, err := chooseConfig(*path, *fallback)
		if err != nil {
			fmt.Fprintf(stderr, "camagent: %v\n", err)
			return exitUsage
		}
		cfg, code := loadConfig(load, stderr)
		if cfg == nil {
			return code
		}
		log := newLogger(cfg.Log, stderr)
		if unprovisioned {
			// On the console of a freshly flashed board: say what to do next.
			log.Warn("UNPROVISIONED: no configuration yet; running the default one",
				"missing", *path, "default", load, "fix", "put camagent.yaml on the boot partition (docs/flashing.md) or send config set over MQTT")
		}
		opts := app.Options{Version: version, Stdout: stdout, Log: log, ConfigPath: *path, Unprovisioned: unprovisioned}
		if *allowReboot {
			opts.Reboot = rebootHook(log)
		}
		agent, err := app.New(cfg, opts)
		if err != nil {
			log.Error("cannot start", "err", err)
			return exitFailure
		}
		err = agent.Run(ctx)
		switch {
		case errors.Is(err, app.ErrReload):
			log.Info("configuration changed: starting again with it", "config", *path)
			continue
		case err != nil:
			log.Error("stopped", "err", err)
			return exitFailure
		}
		log.Info("stopped")
		return exitOK
	}
}

// chooseConfig picks the file to load: the device's own, or the image's
// default while provisioning has not created it yet.
func chooseConfig(path, fallback string) (load string, unprovisioned bool, err error) {
	if fallback == "" {
		return path, false, nil
	}
	if path == "" {
		return "", false, errors.New("-default-config needs -config (the file provisioning creates)")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fallback, true, nil
	}
	return path, false, nil
}

// loadConfig returns the validated configuration, or nil and an exit code.
func loadConfig(path string, stderr io.Writer) (*config.Config, int) {
	cfg := config.Default()
	if path != "" {
		var err error
		cfg, err = config.Load(path)
		if err != nil {
			reportConfigError(path, err, stderr)
			return nil, exitUsage
		}
	}
	if err := cfg.Validate(); err != nil {
		reportConfigError(path, err, stderr)
		return nil, exitUsage
	}
	return cfg, exitOK
}

func reportConfigError(path string, err error, stderr io.Writer) {
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "camagent: config file %s does not exist\n", path)
		return
	}
	fmt.Fprintf(stderr, "camagent: invalid configuration %s:\n", path)
	config.FormatProblems(err, stderr)
}

func checkConfig(path string, stdout, stderr io.Writer) int {
	if _, code := loadConfig(path, stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "%s: valid\n", path)
	return exitOK
}

func newLogger(c config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated already
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
