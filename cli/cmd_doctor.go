package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	costaws "costbot/aws"
	"costbot/bot"
	"costbot/config"
	"costbot/models"
)

// cmdDoctor checks each thing costbot depends on and says, one line each, what is wrong
// and how to fix it. Exit 1 when anything is wrong.
func cmdDoctor(_ []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stdout, "✗ configuration: %v\n", err)
		return 1
	}
	for _, note := range cfg.EnvFile.Notes() {
		fmt.Fprintf(stdout, "· %s\n", note)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	failed := false
	check := func(name string, fn func() (string, error)) {
		detail, err := fn()
		if err != nil {
			failed = true
			fmt.Fprintf(stdout, "✗ %s: %s\n", name, bot.Redact(err.Error(), cfg.TelegramToken))
			return
		}
		fmt.Fprintf(stdout, "✓ %s: %s\n", name, detail)
	}
	check("configuration", func() (string, error) {
		if err := cfg.RequireTelegram(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d chats, %d admins, %d regions, %d services", len(cfg.TelegramChatIDs), len(cfg.TelegramAdminIDs), len(cfg.CostRegions), len(cfg.CostServices)), nil
	})
	check("telegram", func() (string, error) {
		if cfg.TelegramToken == "" {
			return "", fmt.Errorf("no TELEGRAM_BOT_TOKEN: get one from @BotFather")
		}
		name, err := bot.GetMe(ctx, cfg)
		if err != nil {
			return "", fmt.Errorf("getMe failed (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL): %w", err)
		}
		return "@" + name, nil
	})
	check("database", func() (string, error) {
		fix := "check DB_PATH and the folder's permissions"
		if cfg.DBURL != "" {
			fix = "check DB_URL: the server, the role's password and that the database exists"
		} else if err := models.CheckWritable(cfg.DBPath); err != nil {
			return "", err
		}
		store, err := models.OpenDatabase(cfg.DBURL, cfg.DBPath)
		if err != nil {
			return "", fmt.Errorf("%w (%s)", err, fix)
		}
		defer store.Close()
		if err := store.CheckWritable(ctx); err != nil {
			return "", fmt.Errorf("%s is not writable: %w", store, err)
		}
		return fmt.Sprintf("%s writable (%d bytes)", store, store.SizeBytes()), nil
	})
	// A set-up mistake (no credentials, an expired SSO session) is said once, on the aws
	// line; the checks that would only meet it again are skipped.
	var setup *costaws.SetupError
	check("aws", func() (string, error) {
		awsCfg, err := costaws.LoadConfig(ctx)
		if err == nil {
			var account, arn string
			if account, arn, err = costaws.Identity(ctx, awsCfg); err == nil {
				return fmt.Sprintf("account %s as %s", account, arn), nil
			}
		}
		if errors.As(err, &setup) {
			return "", setup
		}
		return "", fmt.Errorf("%w (set AWS credentials: AWS_PROFILE, ~/.aws or AWS_ACCESS_KEY_ID)", err)
	})
	awsCheck := func(name string, fn func() (string, error)) {
		if setup != nil {
			fmt.Fprintf(stdout, "- %s: not checked (%s)\n", name, setup.Cause)
			return
		}
		check(name, fn)
	}
	awsCheck("permissions", func() (string, error) {
		// Its own time: an endpoint that does not answer must not take the others'.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		awsCfg, err := costaws.LoadConfig(ctx)
		if err != nil {
			return "", err
		}
		return checkPermissions(ctx, cfg, awsCfg)
	})
	if !cfg.Accounts.Single() && setup == nil {
		// Its own time too: a hundred accounts are probed ACCOUNT_CONCURRENCY at once.
		actx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if awsCfg, err := costaws.LoadConfig(actx); err != nil {
			check("accounts", func() (string, error) { return "", err })
		} else {
			for _, l := range checkAccounts(actx, cfg, awsCfg) {
				check(l.name, func() (string, error) { return l.detail, l.err })
			}
		}
		cancel()
	}
	awsCheck("cost explorer", func() (string, error) { return checkCostExplorer(ctx, cfg) })
	check("lightsail host", func() (string, error) {
		awsCfg, err := costaws.LoadConfig(ctx)
		if err != nil {
			return "", err
		}
		return lightsailHost(ctx, cfg, awsCfg)
	})
	if failed {
		return 1
	}
	return 0
}

// cmdHealthcheck asks the running daemon's /healthz, for the Docker HEALTHCHECK.
func cmdHealthcheck(_ []string, stdout, stderr io.Writer) int {
	addr, set := os.LookupEnv("HTTP_ADDR")
	addr = strings.TrimSpace(addr)
	switch {
	case !set:
		addr = config.DefaultHTTPAddr
	case addr == "":
		fmt.Fprintln(stderr, "unhealthy: HTTP_ADDR is empty, so the daemon serves no /healthz")
		return 1
	}
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	client := &http.Client{Timeout: 4 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "unhealthy: status", resp.StatusCode)
		return 1
	}
	fmt.Fprintln(stdout, "healthy")
	return 0
}
