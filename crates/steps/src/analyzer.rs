//! Analyzer: picks the optimal power value and builds the result document.

use crate::error::StepError;
use crate::events::{parse_input, AnalyzerEvent};
use powertune_core::output::{analyze as analyze_stats, AnalysisOptions, TuningResult};
use powertune_core::visualization::DEFAULT_BASE_URL;

/// Where the Analyzer runs: the tool's region and the visualization site.
#[derive(Debug, Clone)]
pub struct AnalyzerEnv {
    pub region: Option<String>,
    pub visualization_base_url: String,
}

impl AnalyzerEnv {
    /// `AWS_REGION` and `visualizationURL`, as the template sets them.
    pub fn from_env() -> Self {
        AnalyzerEnv {
            region: std::env::var("AWS_REGION").ok(),
            visualization_base_url: std::env::var("visualizationURL")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        }
    }
}

#[tracing::instrument(skip_all, fields(step = "analyzer"))]
pub fn analyze(event: &AnalyzerEvent, env: &AnalyzerEnv) -> Result<TuningResult, StepError> {
    let input = parse_input(&event.input)?;
    let options = AnalysisOptions {
        strategy: input.strategy,
        balanced_weight: input.balanced_weight,
        include_output_results: input.include_output_results,
        region: env.region.clone(),
        visualization_base_url: env.visualization_base_url.clone(),
        publisher_rounds: event.publisher_rounds.max(1),
    };
    let result = analyze_stats(&event.stats, &options)
        .map_err(|e| StepError::AnalysisFailed(e.to_string()))?;
    tracing::info!(power = result.power, strategy = %result.strategy, "optimal power value");
    Ok(result)
}
