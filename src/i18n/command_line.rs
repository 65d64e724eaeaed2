//! The command line's own words in the CLI's language (issue 20): every
//! command's `about` line, every flag's and argument's help, clap's
//! headings (Usage, Commands, Arguments, Options), its built-in `--help`,
//! `--version` and `help` and its parse errors. clap has no message
//! catalogue, so the definition is built once and every text in it is
//! replaced from `cli.ftl`:
//!
//! - `cli-about` (the program), `cli-about-<command path>` (each command,
//!   the path's names joined by `-`: `cli-about-token-create`);
//! - `cli-arg-<command path>-<argument id>` (each flag or argument, `_`
//!   in the id written `-`: `cli-arg-serve-demo-scale`); a global flag is
//!   `cli-arg-<id>` wherever it is shown (`cli-arg-lang`), clap's own
//!   `cli-arg-help` and `cli-arg-version`; clap's `help` command is
//!   `cli-about-help` with `cli-arg-help-subcommand`;
//! - `cli-clap-...`: headings, default and possible values, parse errors.
//!
//! These keys are computed, not written in a `t!`; the binary's unit tests
//! (`src/main.rs`) walk the real definition and fail when a command or an
//! argument has no message in either catalogue, when a `cli-arg-` or
//! `cli-about-` message names nothing, and when an English message is not
//! the definition's own text. In English the definition is left as clap
//! and the doc comments make it, so English help never changes.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command};

use super::{tr_in, Lang};

/// The id of clap's generated `help` command.
const HELP_COMMAND: &str = "help";

/// The catalogue key of a command's `about`, given the names of the
/// commands from below the program down to it (empty: the program).
pub fn about_key(path: &[String]) -> String {
    match path.last().map(String::as_str) {
        None => "cli-about".to_owned(),
        Some(HELP_COMMAND) => "cli-about-help".to_owned(),
        // `help serve`, `token help create`: the command it is the help of.
        Some(_) => format!("cli-about-{}", without_help(path).join("-")),
    }
}

/// `path` without clap's `help` commands (which mirror the tree below
/// their parent).
fn without_help(path: &[String]) -> Vec<String> {
    path.iter()
        .filter(|name| *name != HELP_COMMAND)
        .cloned()
        .collect()
}

/// The catalogue key of `arg`'s help in the command at `path`.
pub fn arg_key(path: &[String], arg: &Arg) -> String {
    let id = arg.get_id().as_str().replace('_', "-");
    if path.last().map(String::as_str) == Some(HELP_COMMAND) {
        return format!("cli-arg-help-{id}");
    }
    if arg.is_global_set() || id == "help" || id == "version" || path.is_empty() {
        return format!("cli-arg-{id}");
    }
    format!("cli-arg-{}-{id}", without_help(path).join("-"))
}

/// Every (key, English text of the definition) of `command` (built, so
/// that clap's own `--help`, `--version` and `help` are there), commands
/// first, in the definition's order; a global flag once.
pub fn keys_of(command: &Command) -> Vec<(String, String)> {
    let mut command = command.clone();
    command.build();
    let mut keys = Vec::new();
    collect(&command, &mut Vec::new(), &mut keys);
    let mut seen = std::collections::BTreeSet::new();
    keys.retain(|(key, _)| seen.insert(key.clone()));
    keys
}

fn collect(command: &Command, path: &mut Vec<String>, keys: &mut Vec<(String, String)>) {
    let about = command
        .get_about()
        .map(ToString::to_string)
        .unwrap_or_default();
    keys.push((about_key(path), about));
    for arg in command.get_arguments() {
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        keys.push((arg_key(path, arg), help));
    }
    for sub in command.get_subcommands() {
        path.push(sub.get_name().to_owned());
        collect(sub, path, keys);
        path.pop();
    }
}

/// `command` in `lang`: unchanged in English; otherwise built, with every
/// text from the catalogue and clap's headings in `lang`.
pub fn localize(command: Command, lang: Lang) -> Command {
    if lang == Lang::En {
        return command;
    }
    let mut command = command;
    command.build();
    localize_built(command, &mut Vec::new(), lang)
}

fn localize_built(command: Command, path: &mut Vec<String>, lang: Lang) -> Command {
    let options = crate::t_in!(lang, "cli-clap-options");
    let arguments = crate::t_in!(lang, "cli-clap-arguments");
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
        crate::t_in!(lang, "cli-clap-usage")
    );
    let mut command = command
        .about(tr_in(lang, &about_key(path), &[]))
        .long_about(None::<&str>)
        .help_template(template)
        .subcommand_help_heading(crate::t_in!(lang, "cli-clap-commands"));
    let at = path.clone();
    command = command.mut_args(|arg| {
        let mut help = tr_in(lang, &arg_key(&at, &arg), &[]);
        // "[default: ...]" and "[possible values: ...]" in the language,
        // where clap would show them (it is told to show neither).
        let mut append = |values: Vec<String>, hidden: bool, words: &dyn Fn(String) -> String| {
            if !values.is_empty() && !hidden && arg.get_action().takes_values() {
                help.push(' ');
                help.push_str(&words(values.join(", ")));
            }
        };
        append(
            arg.get_default_values()
                .iter()
                .map(|value| value.to_string_lossy().into_owned())
                .collect(),
            arg.is_hide_default_value_set(),
            &|value| crate::t_in!(lang, "cli-clap-default", value = value),
        );
        append(
            arg.get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| value.get_name().to_owned())
                .collect(),
            arg.is_hide_possible_values_set(),
            &|values| crate::t_in!(lang, "cli-clap-possible-values", values = values),
        );
        let heading = if arg.is_positional() {
            arguments.clone()
        } else {
            options.clone()
        };
        arg.help(help)
            .long_help(None::<&str>)
            .hide_default_value(true)
            .hide_possible_values(true)
            .help_heading(heading)
    });
    command.mut_subcommands(|sub| {
        path.push(sub.get_name().to_owned());
        let sub = localize_built(sub, path, lang);
        path.pop();
        sub
    })
}

fn context_text(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(text) => Some(text.clone()),
        ContextValue::Strings(texts) => Some(texts.join(", ")),
        ContextValue::StyledStr(text) => Some(text.to_string()),
        ContextValue::StyledStrs(texts) => Some(
            texts
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(number) => Some(number.to_string()),
        ContextValue::Bool(value) => Some(value.to_string()),
        ContextValue::None => None,
        _ => None,
    }
}

/// A parse error as a person reads it in `lang`: `None` in English (clap's
/// own message stands) and for what is not an error (help, version, the
/// help clap shows for a missing command, already localized); otherwise
/// the message by [`ErrorKind`], the offending token kept, the usage line
/// and a hint. The exit status stays clap's (`error.exit_code()`, 2).
pub fn parse_error(error: &clap::Error, lang: Lang) -> Option<String> {
    if lang == Lang::En {
        return None;
    }
    let text = |kind| context_text(error, kind).unwrap_or_default();
    let message = match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => return None,
        ErrorKind::UnknownArgument => crate::t_in!(
            lang,
            "cli-clap-unknown-argument",
            arg = text(ContextKind::InvalidArg)
        ),
        ErrorKind::InvalidSubcommand => crate::t_in!(
            lang,
            "cli-clap-unknown-command",
            command = text(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let mut message = crate::t_in!(
                lang,
                "cli-clap-invalid-value",
                value = text(ContextKind::InvalidValue),
                arg = text(ContextKind::InvalidArg)
            );
            if let Some(valid) = context_text(error, ContextKind::ValidValue) {
                message.push_str(&crate::t_in!(lang, "cli-clap-valid-values", values = valid));
            }
            message
        }
        ErrorKind::MissingRequiredArgument => crate::t_in!(
            lang,
            "cli-clap-missing-argument",
            arg = text(ContextKind::InvalidArg)
        ),
        ErrorKind::MissingSubcommand => crate::t_in!(lang, "cli-clap-missing-command"),
        ErrorKind::ArgumentConflict => crate::t_in!(
            lang,
            "cli-clap-conflict",
            arg = text(ContextKind::InvalidArg),
            other = text(ContextKind::PriorArg)
        ),
        ErrorKind::NoEquals
        | ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::WrongNumberOfValues => crate::t_in!(
            lang,
            "cli-clap-wrong-values",
            arg = text(ContextKind::InvalidArg)
        ),
        _ => crate::t_in!(lang, "cli-clap-other"),
    };
    let mut out = crate::t_in!(lang, "cli-clap-error", message = message);
    out.push('\n');
    if let Some(usage) = context_text(error, ContextKind::Usage) {
        let usage = usage.trim();
        let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
        out.push('\n');
        out.push_str(&crate::t_in!(lang, "cli-clap-usage"));
        out.push(' ');
        out.push_str(usage);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&crate::t_in!(lang, "cli-clap-more-help"));
    out.push('\n');
    Some(out)
}
