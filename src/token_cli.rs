//! `salesledger token create | list | revoke`: manages the token file of a
//! data directory (`DATA/tokens.json`, or `--tokens FILE` as `serve` was
//! given). These commands touch only the token file, under its own lock,
//! never the log: they work while `serve` runs, and the running gateway
//! picks the change up within a second.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use uuid::Uuid;

use crate::tokens::{NewToken, TokenStatus, TokenView};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it once (only its SHA-256 digest is stored).
    Create(CreateArgs),
    /// List the tokens: name, role, rep id, region, created, expires, last
    /// used, status; never a secret.
    List(ListArgs),
    /// Revoke a token by name (it then gets 401 `token_revoked`).
    Revoke(RevokeArgs),
}

/// Where the token file is.
#[derive(Args, Debug)]
pub struct FileArgs {
    /// Data directory (its `tokens.json`).
    #[arg(long)]
    pub data: PathBuf,
    /// The token file, when `serve` was given `--tokens FILE`.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
}

impl FileArgs {
    fn path(&self) -> PathBuf {
        self.tokens
            .clone()
            .unwrap_or_else(|| self.data.join("tokens.json"))
    }
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The token's name: the actor recorded on the events its holder
    /// causes (unique among active tokens).
    #[arg(long)]
    pub name: String,
    /// rep, supervisor, csm, finance, legal, cto, marketing, store_manager,
    /// regional_supervisor, auditor, analyst, integrator or witness (audit
    /// checkpoints, consistency proofs and cosignatures only).
    #[arg(long)]
    pub role: String,
    /// For a rep token (required there): the rep it acts as.
    #[arg(long)]
    pub rep_id: Option<Uuid>,
    /// For a regional_supervisor token: the region its reads are limited to.
    #[arg(long)]
    pub region: Option<String>,
    /// When it stops working: a date (YYYY-MM-DD, from 00:00 UTC that day)
    /// or an RFC 3339 time.
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// Print `{"name": ..., "token": ..., ...}` instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// Print JSON (`{"tokens": [...]}`, as `GET /v1/tokens`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub file: FileArgs,
    /// The token's name.
    #[arg(long)]
    pub name: String,
}

pub fn run(command: &TokenCommand) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now();
    match command {
        TokenCommand::Create(args) => {
            ensure_data_dir(&args.file)?;
            let path = args.file.path();
            let new = NewToken {
                name: args.name.clone(),
                role: args.role.clone(),
                rep_id: args.rep_id,
                region: args.region.clone(),
                expires: args.expires.clone(),
            };
            let (token, entry) = crate::tokens::create(&path, &new, now).map_err(localized)?;
            if args.json {
                let mut value = serde_json::to_value(TokenView::of(&entry, now))?;
                if let Some(object) = value.as_object_mut() {
                    object.insert("token".into(), serde_json::json!(token));
                }
                crate::outln!("{}", serde_json::to_string_pretty(&value)?)?;
            } else {
                crate::say!(
                    "cli-token-created",
                    name = entry.actor,
                    role = entry.role.as_str(),
                    path = path.display()
                )?;
                crate::outln!("  {token}")?;
            }
        }
        TokenCommand::List(args) => {
            let path = args.file.path();
            if !path.exists() {
                anyhow::bail!(crate::t!("cli-token-no-file", path = path.display()));
            }
            let file = crate::tokens::read(&path).map_err(localized)?;
            let views: Vec<TokenView> = file
                .tokens
                .iter()
                .map(|entry| TokenView::of(entry, now))
                .collect();
            if args.json {
                crate::outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "tokens": views }))?
                )?;
            } else {
                print_table(&views)?;
            }
        }
        TokenCommand::Revoke(args) => {
            let path = args.file.path();
            let n_revoked = crate::tokens::revoke(&path, &args.name, now).map_err(localized)?;
            if n_revoked == 0 {
                crate::say!("cli-token-already-revoked", name = args.name.trim())?;
            } else {
                crate::say!("cli-token-revoked", name = args.name.trim())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A token file error for a person, in the CLI's language.
fn localized(error: crate::tokens::TokenFileError) -> anyhow::Error {
    anyhow::anyhow!(error.localized())
}

/// A data directory that does not exist yet is created (private), so
/// tokens can be made before the first `serve`.
fn ensure_data_dir(file: &FileArgs) -> anyhow::Result<()> {
    if file.tokens.is_none() && !file.data.exists() {
        salesledger_store::private_fs::create_dir_all(&file.data).map_err(|error| {
            anyhow::anyhow!(crate::t!(
                "cli-creating-failed",
                path = file.data.display(),
                error = error
            ))
        })?;
    }
    Ok(())
}

/// Columns as wide as their widest cell, CJK characters counting two.
fn print_table(views: &[TokenView]) -> anyhow::Result<()> {
    fn time(value: Option<chrono::DateTime<chrono::Utc>>) -> String {
        value.map_or_else(
            || "-".to_owned(),
            |time| time.format("%Y-%m-%d %H:%M").to_string(),
        )
    }
    let header = [
        crate::t!("cli-token-column-name"),
        crate::t!("cli-token-column-role"),
        crate::t!("cli-token-column-rep-id"),
        crate::t!("cli-token-column-region"),
        crate::t!("cli-token-column-created"),
        crate::t!("cli-token-column-expires"),
        crate::t!("cli-token-column-last-used"),
        crate::t!("cli-token-column-status"),
    ];
    let rows: Vec<[String; 8]> = views
        .iter()
        .map(|view| {
            [
                view.name.clone(),
                view.role.clone(),
                view.rep_id
                    .map_or_else(|| "-".to_owned(), |id| id.to_string()),
                view.region.clone().unwrap_or_else(|| "-".to_owned()),
                time(view.created_at),
                time(view.expires_at),
                time(view.last_used_at),
                match view.status {
                    TokenStatus::Active => crate::t!("cli-token-status-active"),
                    TokenStatus::Expired => crate::t!("cli-token-status-expired"),
                    TokenStatus::Revoked => crate::t!("cli-token-status-revoked"),
                },
            ]
        })
        .collect();
    let mut widths = header.each_ref().map(|cell| width(cell));
    for row in &rows {
        for (column, cell) in row.iter().enumerate() {
            widths[column] = widths[column].max(width(cell));
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut text = String::new();
        for (column, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if column + 1 < cells.len() {
                text.push_str(&" ".repeat(widths[column] - width(cell) + 2));
            }
        }
        text
    };
    crate::outln!("{}", line(header.iter().map(String::as_str).collect()))?;
    for row in &rows {
        crate::outln!("{}", line(row.iter().map(String::as_str).collect()))?;
    }
    if rows.is_empty() {
        crate::say!("cli-token-none")?;
    }
    Ok(())
}

/// Terminal columns of `text`: East Asian wide characters take two.
fn width(text: &str) -> usize {
    text.chars()
        .map(|character| {
            let code = u32::from(character);
            let wide = (0x1100..=0x115F).contains(&code)
                || (0x2E80..=0xA4CF).contains(&code)
                || (0xAC00..=0xD7A3).contains(&code)
                || (0xF900..=0xFAFF).contains(&code)
                || (0xFE30..=0xFE4F).contains(&code)
                || (0xFF00..=0xFF60).contains(&code)
                || (0xFFE0..=0xFFE6).contains(&code);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}
