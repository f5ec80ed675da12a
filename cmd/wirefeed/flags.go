package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// newFlagSet returns a flag set whose -h prints the command's usage line
// and flags to stdout.
func newFlagSet(name, synopsis, about string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: wirefeed %s\n\n%s\n", synopsis, about)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(out, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; it returns done=true with the exit code when the
// command should stop (help was asked for, or the flags were wrong).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	}
	if err != nil {
		return exitUsage, true
	}
	return 0, false
}

// configFlags are the flags every command that reads the config takes.
// -data-dir and -listen override the file, so one config serves both a
// host and a container (whose data lives on a volume and who listens on
// every interface).
type configFlags struct {
	path, dataDir, listen *string
}

func addConfigFlags(fs *flag.FlagSet, withListen bool) configFlags {
	f := configFlags{
		path:    fs.String("config", "", "config file (TOML)"),
		dataDir: fs.String("data-dir", "", "override the config's data_dir"),
		listen:  new(string),
	}
	if withListen {
		f.listen = fs.String("listen", "", "override the config's server.listen")
	}
	return f
}

// load reads the config and applies the overrides, printing problems to
// stderr.
func (f configFlags) load(stderr io.Writer) (*Config, bool) {
	if *f.path == "" {
		fmt.Fprintln(stderr, "wirefeed: -config FILE is required")
		return nil, false
	}
	cfg, err := f.loadErr()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

// loadErr reads the config and applies the overrides.
func (f configFlags) loadErr() (*Config, error) {
	cfg, err := LoadConfig(*f.path)
	if err != nil {
		return nil, err
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	if *f.listen != "" {
		cfg.Server.Listen = *f.listen
	}
	return cfg, nil
}

// loadConfig loads a config, printing its problems to stderr.
func loadConfig(path string, stderr io.Writer) (*Config, bool) {
	if path == "" {
		fmt.Fprintln(stderr, "wirefeed: -config FILE is required")
		return nil, false
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}
