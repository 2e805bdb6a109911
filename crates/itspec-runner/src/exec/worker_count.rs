//! How many workers a run may have, and why it may not have more.

use super::{RunOptions, mock_names};
use crate::plan::Plan;
use crate::settings::Settings;

/// Why a run cannot have the workers asked for: each says what to change.
#[derive(Debug, thiserror::Error)]
pub enum WorkersError {
    /// `--base-url` / `--no-service`: every worker would share the one
    /// service the user started.
    #[error(
        "--jobs {asked}: every worker would send to the one service you started (--base-url, --no-service) and share its \
         database and mocks, so cases would change each other's data. Run without --base-url and --no-service so each \
         worker starts [service] with a database and mocks of its own{}",
        if *shares_state { "" } else { ", or, if the cases cannot interfere, set `independent = true` under [workers]" }
    )]
    StartedService {
        /// Workers asked for.
        asked: usize,
        /// The service has a database or mocks, so `independent` is no way out.
        shares_state: bool,
    },
    /// No `[service]`, and the cases are not declared independent.
    #[error(
        "--jobs {asked}: without [service] every worker would send to the one service at target.base_url and share its database, \
         so cases would change each other's data. Add [service] to itspec.toml so each worker starts a service of its own \
         (with its own database and mocks), or, if the cases cannot interfere, set `independent = true` under [workers]"
    )]
    Dependent {
        /// Workers asked for.
        asked: usize,
    },
    /// One service for every worker, with a database.
    #[error(
        "--jobs {asked}: workers sharing one service would share its database, which cannot be recorded and restored per case \
         while other workers write to it. Add [service] to itspec.toml so each worker gets a service and a database of its own"
    )]
    SharedDatabase {
        /// Workers asked for.
        asked: usize,
    },
    /// One service for every worker, with mocks.
    #[error(
        "--jobs {asked}: workers sharing one service would share its mocks, whose calls cannot be told apart per case. \
         Add [service] to itspec.toml so each worker gets a service and mocks of its own"
    )]
    SharedMocks {
        /// Workers asked for.
        asked: usize,
    },
    /// `[service] port` is fixed.
    #[error(
        "--jobs {asked}: [service] port = {port} is fixed, and each worker starts a service of its own. \
         Use port = \"auto\" and pass {{{{service.port}}}} to the service in [service] env"
    )]
    FixedServicePort {
        /// Workers asked for.
        asked: usize,
        /// The port.
        port: u16,
    },
    /// `target.base_url` names one address for every worker.
    #[error(
        "--jobs {asked}: target.base_url = \"{url}\" sends every worker to one address. \
         Leave it out (each worker's service is at http://127.0.0.1:{{{{service.port}}}}) or use {{{{service.port}}}} in it"
    )]
    FixedBaseUrl {
        /// Workers asked for.
        asked: usize,
        /// The configured address.
        url: String,
    },
    /// A broker's topics or keys are the same for every worker: workers
    /// would see each other's messages.
    #[error(
        "--jobs {asked}: every worker would observe the same topics and keys of [brokers.{name}], so one case would see another's messages. \
         Give each worker its own: put {{{{worker}}}} in every `watch` and `keys` pattern of [brokers.{name}] (\"orders.w{{{{worker}}}}.>\") \
         and in what the service publishes to ([service] env: TOPIC_PREFIX = \"orders.w{{{{worker}}}}\"), or run with --jobs 1"
    )]
    SharedBroker {
        /// Workers asked for.
        asked: usize,
        /// The first broker.
        name: String,
    },
    /// One service for every worker, with `[mail]`.
    #[error(
        "--jobs {asked}: workers sharing one service would share where it sends e-mail, so one case would see another's. \
         Add [service] to itspec.toml so each worker gets a service and an SMTP server of its own"
    )]
    SharedMail {
        /// Workers asked for.
        asked: usize,
    },
    /// `[mail]` has a fixed port.
    #[error(
        "--jobs {asked}: [mail] has a fixed port, and each worker runs an SMTP server of its own. \
         Use port = \"auto\" and pass {{{{mail.host}}}} and {{{{mail.port}}}} to the service in [service] env"
    )]
    FixedMailPort {
        /// Workers asked for.
        asked: usize,
    },
    /// A mock's port is fixed.
    #[error(
        "--jobs {asked}: [mocks.{name}] has a fixed port, and each worker starts mocks of its own. \
         Use port = \"auto\" and pass {{{{mocks.{name}.url}}}} to the service in [service] env"
    )]
    FixedMockPort {
        /// Workers asked for.
        asked: usize,
        /// The mock.
        name: String,
    },
}

/// How many workers the run gets: `--jobs`, else `[workers] jobs`, at most
/// one per spec. More than one needs an environment per worker: itspec
/// must start the service (on a port of its choosing), and mocks must take
/// free ports — unless `[workers] independent` says the cases may share a
/// service, which then may have no database or mocks to keep apart.
pub fn worker_count(
    plan: &Plan,
    settings: &Settings,
    options: &RunOptions,
) -> Result<usize, WorkersError> {
    let asked = options.jobs.unwrap_or(settings.jobs).max(1) as usize;
    let jobs = asked.min(plan.specs.len().max(1));
    if jobs <= 1 {
        return Ok(1);
    }
    if let Some(name) = settings
        .brokers
        .iter()
        .find(|(_, broker)| !broker.split_per_worker())
        .map(|(name, _)| name)
    {
        return Err(WorkersError::SharedBroker {
            asked,
            name: name.clone(),
        });
    }
    let has_mocks = !settings.mocks.is_empty() || !mock_names(plan).is_empty();
    let Some(service) = &settings.service else {
        let shares_state = settings.database.is_some() || has_mocks;
        if settings.own_service && (shares_state || !settings.independent) {
            return Err(WorkersError::StartedService {
                asked,
                shares_state,
            });
        }
        if !settings.independent {
            return Err(WorkersError::Dependent { asked });
        }
        if settings.database.is_some() {
            return Err(WorkersError::SharedDatabase { asked });
        }
        if has_mocks {
            return Err(WorkersError::SharedMocks { asked });
        }
        if settings.mail.is_some() {
            return Err(WorkersError::SharedMail { asked });
        }
        return Ok(jobs);
    };
    if let itspec_config::Port::Fixed(port) = service.port {
        return Err(WorkersError::FixedServicePort { asked, port });
    }
    if let Some(url) = &settings.base_url
        && !url.contains("{{service.")
    {
        return Err(WorkersError::FixedBaseUrl {
            asked,
            url: url.clone(),
        });
    }
    if let Some(itspec_config::Port::Fixed(_)) = settings.mail {
        return Err(WorkersError::FixedMailPort { asked });
    }
    if let Some((name, _)) = settings
        .mocks
        .iter()
        .find(|(_, mock)| matches!(mock.port, itspec_config::Port::Fixed(_)))
    {
        return Err(WorkersError::FixedMockPort {
            asked,
            name: name.clone(),
        });
    }
    Ok(jobs)
}
