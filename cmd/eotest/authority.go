package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/eo-mixnet/eo/eotest"
)

// authorityCmd is the hidden subcommand that runs one authority of
// "full --local N --processes" in its own process: the cluster starts
// this program with it (eotest.ServeAuthority).
func authorityCmd() *cobra.Command {
	return &cobra.Command{
		Use:                eotest.AuthorityCommand + " --dir DIR",
		Short:              "Run one authority of full --local --processes (started by eotest itself)",
		Hidden:             true,
		DisableFlagParsing: true, // ServeAuthority's own
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return eotest.ServeAuthority(ctx, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}
