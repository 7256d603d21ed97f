//! libpaysign: the N-API surface of paysign. Converts JS values and forwards to `paysign-core`;
//! nothing else. Every export takes plain objects (one options object, no optional positional
//! parameters), runs inside a panic guard, and throws typed paysign errors
//! (docs/native-api.md).

mod convert;
mod guard;
#[cfg(not(target_env = "ohos"))]
mod host_register;
pub mod js_object;
#[cfg(not(target_env = "ohos"))]
mod literal;
mod log;
mod throw;
pub mod types;

use napi_derive_ohos::napi;
use napi_ohos::bindgen_prelude::{External, Unknown};
use napi_ohos::Env;
use paysign_core::{order_str, redact, Action, ErrorCode, ErrorView, FlowState, PaysignError};

use crate::log::Level;
use crate::types::{JsPaysignError, SelfTestResult};

/// The library version, as built.
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Parses and validates an orderStr at `nowMs`; throws a PaysignError (2xxx) naming the field.
// Also callable as `parseOrderStr(orderStr, nowMs, expectedAppId?)`, the cheaper call (no property
// lookups); scripts/gen-dts.mjs declares that form.
#[napi(
    catch_unwind,
    ts_args_type = "input: ParseOrderStrInput",
    ts_return_type = "OrderStrInfo"
)]
pub fn parse_order_str(
    env: Env,
    input: Unknown,
    now_ms: Unknown,
    expected_app_id: Unknown,
) -> napi_ohos::Result<js_object::Raw> {
    guard::run(&env, "parseOrderStr", || {
        convert::with_parse_order_str_args(input, now_ms, expected_app_id, |text, now, app| {
            convert::order_str_js(env.raw(), &order_str::validate_view(text, now, app)?)
        })
    })
}

/// The paysign error for a Payment Kit `requestPayment` rejection.
#[napi(catch_unwind, ts_args_type = "input: CashierErrorInput")]
pub fn classify_cashier_error(env: Env, input: Unknown) -> napi_ohos::Result<JsPaysignError> {
    guard::run(&env, "classifyCashierError", || {
        let input = convert::ObjectArg::new(input, "input")?;
        let code = convert::integer(
            input.number("code")?,
            "input.code",
            -9_007_199_254_740_991.0,
        )?;
        let message = input.string("message")?;
        let error = paysign_core::error::classify_cashier_error(code, &message);
        Ok(convert::error_to_js(error.view()))
    })
}

/// The table row of one error code; throws 1001 for a code that is not in the table.
#[napi(catch_unwind, ts_args_type = "input: ErrorInfoInput")]
pub fn error_info(env: Env, input: Unknown) -> napi_ohos::Result<JsPaysignError> {
    guard::run(&env, "errorInfo", || {
        let input = convert::ObjectArg::new(input, "input")?;
        let number = input.number("code")?;
        let code = convert::unsigned(number, "input.code")
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .and_then(ErrorCode::from_u32)
            .ok_or_else(|| PaysignError::InvalidInput {
                reason: format!("input.code {number} is not a paysign error code"),
            })?;
        Ok(convert::error_to_js(ErrorView::of_code(code)))
    })
}

/// A new flow: a native object the shell holds and passes to every `stepFlow`. The flow's state
/// lives in it (no state string crosses the FFI on each step).
#[napi(
    catch_unwind,
    ts_args_type = "config: FlowConfig",
    ts_return_type = "Flow"
)]
pub fn new_flow(env: Env, config: Unknown) -> napi_ohos::Result<External<FlowState>> {
    guard::run(&env, "newFlow", || {
        let config = convert::flow_config(config)?;
        Ok(External::new(FlowState::new(config)?))
    })
}

/// A flow that re-confirms an order whose cashier opened in an earlier run of the app: its first
/// step (`STARTED`) queries the merchant; the cashier never opens in it.
#[napi(
    catch_unwind,
    ts_args_type = "input: ResumeFlowInput",
    ts_return_type = "Flow"
)]
pub fn resume_flow(env: Env, input: Unknown) -> napi_ohos::Result<External<FlowState>> {
    guard::run(&env, "resumeFlow", || {
        let input = convert::ObjectArg::new(input, "input")?;
        let config = match input.opt_object("config")? {
            Some(config) => convert::flow_config(config)?,
            None => paysign_core::FlowConfig::default(),
        };
        let merc_order_no = input.string("mercOrderNo")?;
        let merc_contract_code = input.string("mercContractCode")?;
        Ok(External::new(FlowState::resume(
            config,
            &merc_order_no,
            &merc_contract_code,
        )?))
    })
}

/// One step of the flow: the flow moves to its next state (in place) and the action to perform
/// is returned. A refused event changes nothing; a panic inside leaves the flow as it was.
#[napi(
    catch_unwind,
    ts_args_type = "flow: Flow, event: FlowEvent",
    ts_return_type = "FlowAction"
)]
pub fn step_flow(env: Env, flow: Unknown, event: Unknown) -> napi_ohos::Result<js_object::Raw> {
    guard::run(&env, "stepFlow", || {
        let state = convert::flow_arg(flow)?;
        let (now_ms, event) = convert::flow_event(event)?;
        let (next, action) = paysign_core::step(state, now_ms, &event)?;
        *state = next;
        log::log_with(Level::Info, || describe_step(event.kind(), &action));
        convert::action_js(env.raw(), &action)
    })
}

/// Proves on a device that unwinding works: a panic inside the library is caught
/// (`panicCaught`), and with `forcePanic` one inside the export comes back as error 5002.
#[napi(catch_unwind, ts_args_type = "input: SelfTestInput")]
pub fn self_test(env: Env, input: Unknown) -> napi_ohos::Result<SelfTestResult> {
    guard::run(&env, "selfTest", || {
        let force = convert::ObjectArg::new(input, "input")?.boolean("forcePanic")?;
        if force {
            deliberate_panic();
        }
        let panic_caught = std::panic::catch_unwind(deliberate_panic).is_err();
        Ok(SelfTestResult {
            version: env!("CARGO_PKG_VERSION").to_string(),
            target: build_target(),
            panic_caught,
        })
    })
}

/// The one deliberate panic in the library: selfTest proves unwinding with it.
#[allow(clippy::panic)]
fn deliberate_panic() {
    panic!("paysign selfTest: deliberate panic");
}

fn build_target() -> String {
    let env_suffix = if cfg!(target_env = "ohos") {
        "-ohos"
    } else {
        ""
    };
    format!(
        "{}-{}{}",
        std::env::consts::ARCH,
        std::env::consts::OS,
        env_suffix
    )
}

/// A log line for one step; the orderStr is shown redacted.
fn describe_step(event: &str, action: &Action) -> String {
    match action {
        Action::OpenCashier { order_str, .. } => format!(
            "event {event} -> OPEN_CASHIER {}",
            redact::order_str(order_str)
        ),
        Action::Done { outcome } => format!(
            "event {event} -> DONE payment {} contract {} error {} after {} ms",
            outcome.payment.as_str(),
            outcome.contract.as_str(),
            outcome.error.as_ref().map_or(0, |e| e.code().as_u32()),
            outcome.elapsed_ms
        ),
        other => format!("event {event} -> {}", other.kind()),
    }
}
