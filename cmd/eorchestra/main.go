// Command eorchestra is the eo authority daemon: "eorchestra serve --dir D"
// runs the authority whose identity and trust store eopeers made in D,
// with its settings from D/eorchestra.json (optional, strictly parsed).
// Events go to D/log/events.jsonl (read them with eolog) and, as text, to
// stderr.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eolog"
	"github.com/eo-mixnet/eo/orchestra"
)

const defaultDir = "/etc/eo"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd(os.Stderr, os.Getenv).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "eorchestra:", err)
		os.Exit(1)
	}
}

func rootCmd(stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "eorchestra",
		Short:         "The eo authority daemon",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	dir := getenv("EO_DIR")
	if dir == "" {
		dir = defaultDir
	}
	var config string
	serve := &cobra.Command{
		Use:   "serve",
		Short: "Run this authority: the HTTPS API and the QUIC peer protocol on its port",
		Long: `Run this authority until SIGINT or SIGTERM. The directory (--dir, $EO_DIR,
else /etc/eo) holds the identity and trust store made with eopeers, the
elections' state (elections/) and the event log (log/events.jsonl); the
settings are in eorchestra.json there (or --config), all optional.
Elections interrupted by a stop resume at the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				config = filepath.Join(dir, orchestra.ConfigFile)
			}
			cfg, err := orchestra.LoadConfig(config)
			if err != nil {
				return err
			}
			f, err := eolog.OpenFile(dir)
			if err != nil {
				return err
			}
			defer f.Close()
			var level slog.Level
			if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil && cfg.LogLevel != "" {
				return err
			}
			color := false
			if f, ok := stderr.(*os.File); ok {
				fi, err := f.Stat()
				color = err == nil && fi.Mode()&os.ModeCharDevice != 0
			}
			log := slog.New(eolog.Tee(
				eolog.NewJSONHandler(f, &eolog.Options{Level: slog.LevelDebug}),
				eolog.NewTextHandler(stderr, &eolog.Options{Level: level, Color: color}),
			))
			// One authority per process: its memory budget is the
			// runtime's soft limit ($GOMEMLIMIT wins).
			if limit, env := orchestra.ApplyMemoryBudget(cfg); env {
				log.Info("memory budget from $GOMEMLIMIT", "bytes", limit)
			} else {
				log.Info("memory budget", "bytes", limit)
			}
			opts := orchestra.Options{Dir: dir, Config: cfg, Logger: log}
			setDrill(&opts, getenv)
			srv, err := orchestra.New(opts)
			if err != nil {
				return err
			}
			return srv.Run(cmd.Context())
		},
	}
	serve.Flags().StringVar(&dir, "dir", dir, "authority `directory` (default $EO_DIR, else "+defaultDir+")")
	serve.Flags().StringVar(&config, "config", "", "settings `file` (default DIR/eorchestra.json)")
	root.AddCommand(serve)
	return root
}
