package cmd

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"cosmossdk.io/log"

	"github.com/medchain/medchain/bridge"
	"github.com/medchain/medchain/bridge/enrolment"
	"github.com/medchain/medchain/medclient"
	"github.com/medchain/medchain/medclient/cliflags"
)

// bridgeCmd is `medchaind bridge`: the hospital's DICOMweb gateway and its
// patient enrolment.
func bridgeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bridge",
		Short: "The DICOMweb bridge between a hospital's PACS and medchain, and patient enrolment",
		Long: "A hospital runs `medchaind bridge start --from HOSPITAL` beside its node. Its PACS and viewers store studies " +
			"into patients' records (STOW-RS) and find and read them (QIDO-RS, WADO-RS) under the patients' grants. " +
			"Its state (enrolled patients, study indexes) is under HOME/bridge, encrypted with a key derived from the " +
			"hospital's account key. The API belongs inside the hospital network; see docs/bridge.md.",
	}
	cmd.PersistentFlags().String(flagBridgeDir, "", "the bridge's directory: bridge.toml and its encrypted tables (default HOME/bridge)")
	cmd.AddCommand(bridgeStartCmd(), bridgeAddClientCmd(), enrolCodeCmd(), enrolCmd(), patientsCmd(), unenrolCmd())
	return cmd
}

// flagBridgeDir names the bridge's directory (bridge.toml and the
// encrypted tables); two bridges on one machine need one each.
const flagBridgeDir = "bridge-dir"

func bridgeDir(cmd *cobra.Command, clientCtx client.Context) string {
	if d, _ := cmd.Flags().GetString(flagBridgeDir); d != "" {
		return d
	}
	return filepath.Join(clientCtx.HomeDir, "bridge")
}

// openBridgeStore opens the bridge's encrypted tables with the key derived
// from the hospital's (--from) account key.
func openBridgeStore(cmd *cobra.Command, clientCtx client.Context) (*bridge.Store, error) {
	if clientCtx.FromName == "" {
		return nil, errors.New("--from is required: the hospital's key, from which the bridge's storage key is derived")
	}
	secret, err := medclient.DeriveSecret(clientCtx, clientCtx.FromName, "bridge store")
	if err != nil {
		return nil, err
	}
	return bridge.OpenStore(filepath.Join(bridgeDir(cmd, clientCtx), "store"), secret)
}

func bridgeStartCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start --from HOSPITAL",
		Short: "Run the DICOMweb bridge (STOW-RS, QIDO-RS, WADO-RS) as the hospital",
		Long: "Serves DICOMweb at http://LISTEN/dicom-web/ to the client systems of HOME/bridge/bridge.toml " +
			"(medchaind bridge add-client), signing as the hospital (--from) and storing into --vault. " +
			"Prometheus metrics at /metrics. Stops on SIGINT or SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			txf, err := cliflags.TxFactory(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			cfg, err := bridge.ReadConfig(filepath.Join(bridgeDir(cmd, clientCtx), bridge.ConfigFile))
			if err != nil {
				return err
			}
			if l, _ := cmd.Flags().GetString("listen"); l != "" {
				cfg.Listen = l
			}
			if v, _ := cmd.Flags().GetString(medclient.FlagVault); v != "" {
				cfg.Vault = v
			}
			if cfg.Vault == "" {
				return fmt.Errorf("no vault: give --%s or vault in %s", medclient.FlagVault, bridge.ConfigFile)
			}
			if len(cfg.Clients) == 0 {
				return errors.New("no client system may call the bridge yet: add one with `medchaind bridge add-client NAME`")
			}
			store, err := openBridgeStore(cmd, clientCtx)
			if err != nil {
				return err
			}
			logger := log.NewLogger(cmd.ErrOrStderr()).With("module", "bridge")
			srv := bridge.NewServer(cfg, bridge.NewNodeChain(clientCtx, txf, cfg.Vault), store, logger)
			tlsCfg, err := cfg.TLS()
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return err
			}
			scheme := "http"
			if tlsCfg != nil {
				ln, scheme = tls.NewListener(ln, tlsCfg), "https"
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_ = hs.Shutdown(shut)
			}()
			logger.Info("DICOMweb bridge listening", "url", scheme+"://"+ln.Addr().String()+"/dicom-web", "mutual_tls", cfg.TLSClientCA != "", "hospital", clientCtx.FromAddress.String(), "vault", cfg.Vault, "clients", len(cfg.Clients))
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	cmd.Flags().String("listen", "", "address to listen on (default: bridge.toml's listen, 127.0.0.1:8060, away from Orthanc's 8042); keep it inside the hospital network")
	cmd.Flags().String(medclient.FlagVault, medclient.DefaultVault(), "the hospital's vault, which stored studies go to")
	return cmd
}

func bridgeAddClientCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "add-client NAME",
		Short: "Allow a hospital system (a PACS, a viewer) to call the bridge, and print its token once",
		Long: "Adds NAME to HOME/bridge/bridge.toml with a new random token and prints the token: the bridge keeps only " +
			"its SHA-256. The system sends it as `Authorization: Bearer TOKEN` (or as the password of basic auth, user NAME). " +
			"Restart the bridge to take it up.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx := client.GetClientContextFromCmd(cmd)
			dir := bridgeDir(cmd, clientCtx)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			path := filepath.Join(dir, bridge.ConfigFile)
			cfg, err := bridge.ReadConfig(path)
			if err != nil {
				return err
			}
			token, err := cfg.AddClient(args[0])
			if err != nil {
				return err
			}
			if err := bridge.WriteConfig(path, cfg); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "client %s added to %s; its token (shown only now):\n", args[0], path)
			fmt.Fprintln(cmd.OutOrStdout(), token)
			return nil
		},
	}
}

func enrolCodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enrol-code HOSPITAL --from PATIENT",
		Short: "Make the one-time code by which a patient enrols at a hospital's bridge",
		Long: "Signs, with the patient's account key, a statement that this account may be linked to the identifiers " +
			"HOSPITAL's systems use for the patient, and prints it as a code for the front desk (or the portal's QR code). " +
			"It enrols once, at HOSPITAL only, before --valid runs out. The chain never sees it: to let the hospital's PACS " +
			"store studies, also grant the hospital WRITE (and READ to add to them): " +
			"`medchaind tx access grant all HOSPITAL --permission write --kinds dicom`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			valid, _ := cmd.Flags().GetDuration("valid")
			if clientCtx.FromName == "" {
				return errors.New("--from is required: the patient's key signs the code")
			}
			if clientCtx.ChainID == "" {
				return errors.New("--chain-id is required (or set it in the client config)")
			}
			code, err := enrolment.New(clientCtx.ChainID, args[0], clientCtx.FromAddress.String(), time.Now().Add(valid),
				func(doc []byte) ([]byte, error) {
					sig, _, err := clientCtx.Keyring.Sign(clientCtx.FromName, doc, signing.SignMode_SIGN_MODE_LEGACY_AMINO_JSON)
					return sig, err
				})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), code)
			return nil
		},
	}
	cliflags.AddKeyFlags(cmd, "the patient's key")
	cmd.Flags().Duration("valid", 24*time.Hour, "how long the code may be used (at most a week)")
	return cmd
}

func enrolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enrol CODE --patient-id ID [--issuer ISSUER] --from HOSPITAL",
		Short: "Link a patient's account to the identifiers the hospital's systems use (front desk)",
		Long: "Checks the patient's enrolment code (its signature against the patient's key on chain, the hospital, the " +
			"expiry, and that it was not used before) and records that DICOM PatientID ID (with IssuerOfPatientID ISSUER) " +
			"is that account, in the bridge's table, encrypted at rest, never on chain or in a vault.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			pid, _ := cmd.Flags().GetString("patient-id")
			issuer, _ := cmd.Flags().GetString("issuer")
			replace, _ := cmd.Flags().GetBool("replace")
			store, err := openBridgeStore(cmd, clientCtx)
			if err != nil {
				return err
			}
			chain := bridge.NewNodeChain(clientCtx, tx.Factory{}, "")
			pt, err := bridge.Enrol(cmd.Context(), chain, bridge.NewPatients(store), args[0], issuer, pid, replace, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "enrolled: PatientID %q%s is %s\n", pt.PatientID, issuerSuffix(pt.Issuer), pt.Address)
			return nil
		},
	}
	cliflags.AddKeyFlags(cmd, "the hospital's key")
	cmd.Flags().String(flags.FlagNode, "tcp://localhost:26657", "the node to ask for the patient's public key")
	cmd.Flags().String("patient-id", "", "the DICOM PatientID (0010,0020) the hospital's systems use for the patient")
	cmd.Flags().String("issuer", "", "the IssuerOfPatientID (0010,0021), if the hospital's systems set one")
	cmd.Flags().Bool("replace", false, "map an identifier already enrolled to this patient instead")
	return cmd
}

func issuerSuffix(issuer string) string {
	if issuer == "" {
		return ""
	}
	return fmt.Sprintf(" (issuer %q)", issuer)
}

func patientsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "patients --from HOSPITAL",
		Short: "List the patients enrolled at this hospital's bridge",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			store, err := openBridgeStore(cmd, clientCtx)
			if err != nil {
				return err
			}
			all, err := bridge.NewPatients(store).List()
			if err != nil {
				return err
			}
			if clientCtx.OutputFormat == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"patients": all})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PATIENT ID\tISSUER\tACCOUNT\tENROLLED")
			for _, p := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.PatientID, p.Issuer, p.Address, p.Enrolled.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cliflags.AddKeyFlags(cmd, "the hospital's key")
	cmd.Flags().StringP(flags.FlagOutput, "o", "text", "text or json")
	return cmd
}

func unenrolCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unenrol --patient-id ID [--issuer ISSUER] --from HOSPITAL",
		Short: "Forget a patient's identifiers at this hospital's bridge: new studies for them are refused",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			pid, _ := cmd.Flags().GetString("patient-id")
			issuer, _ := cmd.Flags().GetString("issuer")
			store, err := openBridgeStore(cmd, clientCtx)
			if err != nil {
				return err
			}
			return bridge.NewPatients(store).Remove(issuer, pid)
		},
	}
	cliflags.AddKeyFlags(cmd, "the hospital's key")
	cmd.Flags().String("patient-id", "", "the DICOM PatientID")
	cmd.Flags().String("issuer", "", "the IssuerOfPatientID")
	return cmd
}
