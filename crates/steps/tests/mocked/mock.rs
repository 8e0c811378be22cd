//! SDK clients whose calls are answered by rules: typed outputs, typed errors or raw HTTP
//! responses, checked against the typed request, counted.
//!
//! `mock!(Client::operation)` starts a rule for one operation; `mock_client!(sdk_crate, mode,
//! rules)` builds that crate's client with the rules. An interceptor picks the rule when the
//! typed input is known (before serialization), then, for each attempt (the SDK's own retries
//! count as calls), takes the rule's next answer: an output or an error replaces what the
//! attempt's response was read as, an HTTP response is what the connection returns.
//!
//! The SDK team's aws-smithy-mocks works the same way, but it needs the `test-util` features of
//! the SDK crates, and a changed feature rebuilds the SDK and everything above it: the tests would
//! build the graph once and the shipped binaries a second time (BENCHMARKS.md, "CI"). These
//! rules need no feature the shipped build lacks.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut, Error,
    FinalizerInterceptorContextMut, Input, Output,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How a client's rules are matched to its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMode {
    /// The rules answer in the order given, each call by the first rule not used up, which must
    /// match it: the order of the calls is part of what a test checks. A rule of one answer
    /// answers one call (with its retries).
    Sequential,
    /// A call is answered by the first rule that matches it and is not used up; a rule of one
    /// answer is never used up.
    MatchAny,
}

/// A rule: which calls of an operation it answers, what with, and how many calls it has had.
/// Clones share the count, so a test keeps one to ask `num_calls` after handing it out.
#[derive(Clone)]
pub struct Rule {
    operation: &'static str,
    matches: Arc<dyn Fn(&Input) -> bool + Send + Sync>,
    answers: Arc<Vec<Planned>>,
    calls: Arc<AtomicUsize>,
}

/// One answer of a rule and how many calls it answers (`None`: every call from then on).
struct Planned {
    answer: Arc<dyn Fn() -> Answer + Send + Sync>,
    times: Option<usize>,
}

enum Answer {
    Output(Output),
    Error(Error),
    Http(HttpResponse),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rule({}, {} calls)", self.operation, self.num_calls())
    }
}

impl Rule {
    /// The calls this rule has answered, each attempt of a retried call counted.
    pub fn num_calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// How many calls it answers in all (`None`: no limit).
    fn capacity(&self) -> Option<usize> {
        self.answers.iter().map(|p| p.times).sum()
    }

    /// A rule of one answer given for ever, made by `then_output` and its kin.
    fn is_single(&self) -> bool {
        self.answers.len() == 1 && self.answers[0].times.is_none()
    }

    fn is_used_up(&self) -> bool {
        self.capacity().is_some_and(|n| self.num_calls() >= n)
    }

    fn next_answer(&self) -> Answer {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let mut before = 0;
        for planned in self.answers.iter() {
            match planned.times {
                Some(n) if call >= before + n => before += n,
                _ => return (planned.answer)(),
            }
        }
        panic!("{self:?} was called again after its {before} answers")
    }
}

/// A rule being written for the operation whose input, output and error types are `I`, `O`, `E`.
pub struct RuleBuilder<I, O, E> {
    operation: &'static str,
    matches: Arc<dyn Fn(&Input) -> bool + Send + Sync>,
    types: PhantomData<fn(I) -> (O, E)>,
}

/// Starts a rule; `mock!` calls it with two closures that are never run: their types name the
/// operation's input, output and error.
pub fn rule_for<I, O, E, Sent>(
    operation: &'static str,
    _input: impl FnOnce() -> I,
    _send: impl FnOnce() -> Sent,
) -> RuleBuilder<I, O, E>
where
    I: fmt::Debug + Send + Sync + 'static,
    Sent: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
{
    RuleBuilder {
        operation,
        matches: Arc::new(|input: &Input| input.downcast_ref::<I>().is_some()),
        types: PhantomData,
    }
}

impl<I, O, E> RuleBuilder<I, O, E>
where
    I: fmt::Debug + Send + Sync + 'static,
    O: fmt::Debug + Send + Sync + 'static,
    E: std::error::Error + fmt::Debug + Send + Sync + 'static,
{
    /// Answers only the calls whose input passes `check`.
    pub fn match_requests(mut self, check: impl Fn(&I) -> bool + Send + Sync + 'static) -> Self {
        self.matches = Arc::new(move |input: &Input| input.downcast_ref::<I>().is_some_and(&check));
        self
    }

    pub fn then_output(self, output: impl Fn() -> O + Send + Sync + 'static) -> Rule {
        self.sequence().output(output).for_every_call()
    }

    pub fn then_error(self, error: impl Fn() -> E + Send + Sync + 'static) -> Rule {
        self.sequence().error(error).for_every_call()
    }

    pub fn then_http_response(
        self,
        response: impl Fn() -> HttpResponse + Send + Sync + 'static,
    ) -> Rule {
        self.sequence()
            .answer(move || Answer::Http(response()))
            .for_every_call()
    }

    /// Answers in turn, each once unless `times` says otherwise.
    pub fn sequence(self) -> Sequence<I, O, E> {
        Sequence {
            rule: self,
            answers: Vec::new(),
        }
    }
}

/// The answers of a rule, in the order they are given.
pub struct Sequence<I, O, E> {
    rule: RuleBuilder<I, O, E>,
    answers: Vec<Planned>,
}

impl<I, O, E> Sequence<I, O, E>
where
    I: fmt::Debug + Send + Sync + 'static,
    O: fmt::Debug + Send + Sync + 'static,
    E: std::error::Error + fmt::Debug + Send + Sync + 'static,
{
    pub fn output(self, output: impl Fn() -> O + Send + Sync + 'static) -> Self {
        self.answer(move || Answer::Output(Output::erase(output())))
    }

    pub fn error(self, error: impl Fn() -> E + Send + Sync + 'static) -> Self {
        self.answer(move || Answer::Error(Error::erase(error())))
    }

    /// What the connection returns, read as the SDK reads a response (its status decides,
    /// among other things, whether the SDK retries).
    pub fn http(self, response: impl Fn() -> HttpResponse + Send + Sync + 'static) -> Self {
        self.answer(move || Answer::Http(response()))
    }

    /// Gives the last answer `n` times.
    pub fn times(mut self, n: usize) -> Self {
        if let Some(last) = self.answers.last_mut() {
            last.times = Some(n);
        }
        self
    }

    /// Gives the last answer to every call from then on.
    pub fn repeatedly(mut self) -> Rule {
        if let Some(last) = self.answers.last_mut() {
            last.times = None;
        }
        self.build()
    }

    pub fn build(self) -> Rule {
        Rule {
            operation: self.rule.operation,
            matches: self.rule.matches,
            answers: Arc::new(self.answers),
            calls: Arc::default(),
        }
    }

    /// A rule of this one answer, given to every call it answers.
    fn for_every_call(mut self) -> Rule {
        for planned in &mut self.answers {
            planned.times = None;
        }
        self.build()
    }

    fn answer(mut self, answer: impl Fn() -> Answer + Send + Sync + 'static) -> Self {
        self.answers.push(Planned {
            answer: Arc::new(answer),
            times: Some(1),
        });
        self
    }
}

/// The interceptor that answers a client's calls from its rules.
#[derive(Debug)]
pub struct Answers {
    mode: RuleMode,
    rules: Mutex<VecDeque<Rule>>,
}

impl Answers {
    pub fn new(mode: RuleMode, rules: &[&Rule]) -> Answers {
        Answers {
            mode,
            rules: Mutex::new(rules.iter().map(|r| (*r).clone()).collect()),
        }
    }

    fn pick(&self, input: &Input) -> Rule {
        let mut rules = lock(&self.rules);
        match self.mode {
            RuleMode::Sequential => loop {
                let Some(rule) = rules.front() else {
                    panic!("no rule left for {input:?}");
                };
                if rule.is_used_up() || (rule.is_single() && rule.num_calls() > 0) {
                    rules.pop_front();
                    continue;
                }
                assert!(
                    (rule.matches)(input),
                    "the next rule, {rule:?}, does not match {input:?}"
                );
                return rule.clone();
            },
            RuleMode::MatchAny => rules
                .iter()
                .find(|r| !r.is_used_up() && (r.matches)(input))
                .cloned()
                .unwrap_or_else(|| panic!("no rule matches {input:?}")),
        }
    }
}

/// The rule picked for the call under way, kept in the call's configuration between hooks.
#[derive(Debug, Clone)]
struct Picked(Rule);

impl Storable for Picked {
    type Storer = StoreReplace<Picked>;
}

/// The attempt's output or error, given when the attempt completes.
#[derive(Clone)]
struct Pending(Arc<Mutex<Option<Answer>>>);

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pending")
    }
}

impl Storable for Pending {
    type Storer = StoreReplace<Pending>;
}

/// The attempt's HTTP response, carried to the connection on the request.
#[derive(Clone)]
struct HttpAnswer(Arc<Mutex<Option<HttpResponse>>>);

impl Intercept for Answers {
    fn name(&self) -> &'static str {
        "powertune test rules"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let rule = self.pick(input);
        cfg.interceptor_state().store_put(Picked(rule));
        Ok(())
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Picked(rule)) = cfg.load::<Picked>().cloned() else {
            return Ok(());
        };
        // A typed answer waits for the attempt's end; an earlier attempt's was taken then.
        match rule.next_answer() {
            Answer::Http(response) => context
                .request_mut()
                .add_extension(HttpAnswer(Arc::new(Mutex::new(Some(response))))),
            typed => {
                cfg.interceptor_state()
                    .store_put(Pending(Arc::new(Mutex::new(Some(typed)))));
            }
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let answer = cfg.load::<Pending>().and_then(|p| lock(&p.0).take());
        match answer {
            Some(Answer::Output(output)) => context.inner_mut().set_output_or_error(Ok(output)),
            Some(Answer::Error(error)) => context
                .inner_mut()
                .set_output_or_error(Err(OrchestratorError::operation(error))),
            Some(Answer::Http(_)) | None => {}
        }
        Ok(())
    }
}

/// The connection of a mocked client: it returns the rule's HTTP response, or, where the rule
/// answers with an output or an error (which replaces it), an empty 418.
#[derive(Debug, Clone)]
struct Connection;

impl HttpConnector for Connection {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let given = request
            .extension::<HttpAnswer>()
            .and_then(|a| lock(&a.0).take());
        let response = given.unwrap_or_else(|| {
            HttpResponse::new(
                StatusCode::try_from(418).unwrap_or_else(|_| unreachable!("418 is a status")),
                SdkBody::empty(),
            )
        });
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Connection {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

pub fn http_client() -> SharedHttpClient {
    SharedHttpClient::new(Connection)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `mock!(Client::operation)`: a rule for that operation of that client.
macro_rules! mock {
    ($operation:expr) => {
        #[allow(unreachable_code)]
        {
            $crate::mock::rule_for(
                stringify!($operation),
                || $operation(todo!()).as_input().clone().build().unwrap(),
                || $operation(todo!()).send(),
            )
        }
    };
}

/// `mock_client!(aws_sdk_x, [mode,] &[&rule, ...])`: a client of that SDK crate answered by the
/// rules (in order unless `mode` says otherwise), in us-east-1 with fixed credentials. The SDK's
/// standard retries stay (three attempts), with a millisecond's backoff.
macro_rules! mock_client {
    ($sdk:ident, $rules:expr) => {
        mock_client!($sdk, $crate::mock::RuleMode::Sequential, $rules)
    };
    ($sdk:ident, $mode:expr, $rules:expr) => {{
        let config = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new("us-east-1"))
            .credentials_provider($sdk::config::Credentials::new(
                "AKIDMOCKED",
                "mocked",
                None,
                None,
                "rules",
            ))
            .retry_config(
                $sdk::config::retry::RetryConfig::standard()
                    .with_initial_backoff(std::time::Duration::from_millis(1)),
            )
            .http_client($crate::mock::http_client())
            .interceptor($crate::mock::Answers::new($mode, $rules))
            .build();
        $sdk::Client::from_conf(config)
    }};
}

/// The rules' own guarantees, which every test here relies on: a call the next rule does not
/// match fails the test, and a rule answers in its order, counting each attempt.
mod checks {
    use super::super::{config, get_latest, ARN};
    use super::RuleMode;
    use aws_sdk_lambda::types::LastUpdateStatus;
    use aws_sdk_lambda::Client;

    #[tokio::test]
    #[should_panic(expected = "does not match")]
    async fn a_call_the_next_rule_does_not_match_fails_the_test() {
        let latest = get_latest(128, "", LastUpdateStatus::Successful);
        let client: Client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&latest]);
        let _ = client
            .get_function_configuration()
            .function_name(ARN)
            .qualifier("7")
            .send()
            .await;
    }

    #[tokio::test]
    async fn a_sequence_answers_in_order_and_a_used_up_sequential_rule_gives_way() {
        let memory = mock!(Client::get_function_configuration)
            .sequence()
            .output(|| config(128, "", LastUpdateStatus::Successful))
            .times(2)
            .output(|| config(512, "", LastUpdateStatus::Successful))
            .build();
        let last = get_latest(1024, "", LastUpdateStatus::Successful);
        let client: Client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, &[&memory, &last]);
        let mut seen = Vec::new();
        for _ in 0..4 {
            let out = client
                .get_function_configuration()
                .function_name(ARN)
                .qualifier("$LATEST")
                .send()
                .await
                .expect("a mocked output");
            seen.push(out.memory_size());
        }
        assert_eq!(seen, [Some(128), Some(128), Some(512), Some(1024)]);
        assert_eq!((memory.num_calls(), last.num_calls()), (3, 1));
    }
}
