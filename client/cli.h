/*
 * cli.h - tensorctl subcommands. Each takes the arguments after the
 * subcommand name (argv[0] is the subcommand) and returns the exit status.
 */
#ifndef TSD_CLIENT_CLI_H
#define TSD_CLIENT_CLI_H

/** tensorctl inspect DIR [--tag_set serve] [--signature NAME] [--json] */
int cli_cmd_inspect(int argc, char **argv);

/** tensorctl run DIR --signature_def S (--inputs ... | --input_examples ...) */
int cli_cmd_run(int argc, char **argv);

/** tensorctl predict|classify|regress HOST:PORT --model M (--json J | --csv F | --tfrecord F)
 *  [--rest] [--batch_size N --output F]: inference on a running server. */
int cli_cmd_predict(int argc, char **argv);
int cli_cmd_classify(int argc, char **argv);
int cli_cmd_regress(int argc, char **argv);

/** tensorctl metadata|status HOST:PORT --model M [--version N] [--rest] */
int cli_cmd_metadata(int argc, char **argv);
int cli_cmd_status(int argc, char **argv);

/** tensorctl reload HOST:PORT --config FILE: HandleReloadConfigRequest. */
int cli_cmd_reload(int argc, char **argv);

/** tensorctl train --config FILE: train, evaluate and export (offline). */
int cli_cmd_train(int argc, char **argv);

#endif
