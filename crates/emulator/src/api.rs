//! The Lambda API's operations, and the route from a request's method and path to one of them
//! with its path parameters.

use hyper::{Method, Uri};
use serde::Deserialize;

/// An operation, named as Lambda names it: what faults (`fail`, `dropConnections`) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Operation {
    /// `POST /functions`.
    CreateFunction,
    /// `GET /functions`.
    ListFunctions,
    /// `GET /functions/F`.
    GetFunction,
    /// `DELETE /functions/F`.
    DeleteFunction,
    /// `GET /functions/F/configuration`.
    GetFunctionConfiguration,
    /// `PUT /functions/F/configuration`.
    UpdateFunctionConfiguration,
    /// `POST /functions/F/versions`.
    PublishVersion,
    /// `GET /functions/F/versions`.
    ListVersionsByFunction,
    /// `POST /functions/F/aliases`.
    CreateAlias,
    /// `GET /functions/F/aliases`.
    ListAliases,
    /// `GET /functions/F/aliases/A`.
    GetAlias,
    /// `PUT /functions/F/aliases/A`.
    UpdateAlias,
    /// `DELETE /functions/F/aliases/A`.
    DeleteAlias,
    /// `POST /functions/F/invocations`.
    Invoke,
    /// `GET /functions/F/concurrency`.
    GetFunctionConcurrency,
    /// `PUT /functions/F/concurrency`.
    PutFunctionConcurrency,
    /// `DELETE /functions/F/concurrency`.
    DeleteFunctionConcurrency,
    /// `PUT /functions/F/provisioned-concurrency?Qualifier=Q`.
    PutProvisionedConcurrencyConfig,
    /// `GET /functions/F/provisioned-concurrency?List=ALL`.
    ListProvisionedConcurrencyConfigs,
    /// `DELETE /functions/F/provisioned-concurrency?Qualifier=Q`.
    DeleteProvisionedConcurrencyConfig,
    /// `GET /account-settings`.
    GetAccountSettings,
}

impl Operation {
    /// Lambda's name for it.
    pub fn name(self) -> &'static str {
        use Operation::*;
        match self {
            CreateFunction => "CreateFunction",
            ListFunctions => "ListFunctions",
            GetFunction => "GetFunction",
            DeleteFunction => "DeleteFunction",
            GetFunctionConfiguration => "GetFunctionConfiguration",
            UpdateFunctionConfiguration => "UpdateFunctionConfiguration",
            PublishVersion => "PublishVersion",
            ListVersionsByFunction => "ListVersionsByFunction",
            CreateAlias => "CreateAlias",
            ListAliases => "ListAliases",
            GetAlias => "GetAlias",
            UpdateAlias => "UpdateAlias",
            DeleteAlias => "DeleteAlias",
            Invoke => "Invoke",
            GetFunctionConcurrency => "GetFunctionConcurrency",
            PutFunctionConcurrency => "PutFunctionConcurrency",
            DeleteFunctionConcurrency => "DeleteFunctionConcurrency",
            PutProvisionedConcurrencyConfig => "PutProvisionedConcurrencyConfig",
            ListProvisionedConcurrencyConfigs => "ListProvisionedConcurrencyConfigs",
            DeleteProvisionedConcurrencyConfig => "DeleteProvisionedConcurrencyConfig",
            GetAccountSettings => "GetAccountSettings",
        }
    }

    /// Whether it is a control-plane operation (every one but Invoke), which Lambda throttles
    /// past its control-plane request quota.
    pub fn is_control_plane(self) -> bool {
        self != Operation::Invoke
    }
}

/// A request routed: the operation, with the function (and alias) its path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// CreateFunction.
    CreateFunction,
    /// ListFunctions.
    ListFunctions,
    /// GetAccountSettings.
    GetAccountSettings,
    /// An operation on one function (a name, `name:qualifier` or an ARN, as given).
    Function {
        /// Which.
        operation: Operation,
        /// The function as the path gives it, percent-decoded.
        function: String,
    },
    /// An operation on one alias of a function.
    Alias {
        /// GetAlias, UpdateAlias or DeleteAlias.
        operation: Operation,
        /// The function as the path gives it.
        function: String,
        /// The alias's name.
        alias: String,
    },
}

impl Route {
    /// The route of a request, or `None` for a path Lambda does not serve. Lambda dates its
    /// paths by when each operation appeared (`/2015-03-31/functions`,
    /// `/2017-10-31/.../concurrency`, `/2019-09-30/.../provisioned-concurrency`,
    /// `/2016-08-19/account-settings`); any date is accepted here.
    pub fn of(method: &Method, uri: &Uri) -> Option<Route> {
        let mut segments = uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(crate::http::percent_decode);
        let date = segments.next()?;
        if !is_api_date(&date) {
            return None;
        }
        let resource = segments.next()?;
        let rest: Vec<String> = segments.collect();
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        let listing = uri
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "List=ALL"));
        use Operation::*;
        let function = |operation: Operation, name: &str| {
            Some(Route::Function {
                operation,
                function: name.to_string(),
            })
        };
        let alias = |operation: Operation, name: &str, alias: &str| {
            Some(Route::Alias {
                operation,
                function: name.to_string(),
                alias: alias.to_string(),
            })
        };
        match (resource.as_str(), method.as_str(), rest.as_slice()) {
            ("account-settings", "GET", []) => Some(Route::GetAccountSettings),
            ("functions", "POST", []) => Some(Route::CreateFunction),
            ("functions", "GET", []) => Some(Route::ListFunctions),
            ("functions", "GET", [f]) => function(GetFunction, f),
            ("functions", "DELETE", [f]) => function(DeleteFunction, f),
            ("functions", "GET", [f, "configuration"]) => function(GetFunctionConfiguration, f),
            ("functions", "PUT", [f, "configuration"]) => function(UpdateFunctionConfiguration, f),
            ("functions", "POST", [f, "versions"]) => function(PublishVersion, f),
            ("functions", "GET", [f, "versions"]) => function(ListVersionsByFunction, f),
            ("functions", "POST", [f, "aliases"]) => function(CreateAlias, f),
            ("functions", "GET", [f, "aliases"]) => function(ListAliases, f),
            ("functions", "GET", [f, "aliases", a]) => alias(GetAlias, f, a),
            ("functions", "PUT", [f, "aliases", a]) => alias(UpdateAlias, f, a),
            ("functions", "DELETE", [f, "aliases", a]) => alias(DeleteAlias, f, a),
            ("functions", "POST", [f, "invocations"]) => function(Invoke, f),
            ("functions", "GET", [f, "concurrency"]) => function(GetFunctionConcurrency, f),
            ("functions", "PUT", [f, "concurrency"]) => function(PutFunctionConcurrency, f),
            ("functions", "DELETE", [f, "concurrency"]) => function(DeleteFunctionConcurrency, f),
            ("functions", "PUT", [f, "provisioned-concurrency"]) => {
                function(PutProvisionedConcurrencyConfig, f)
            }
            ("functions", "GET", [f, "provisioned-concurrency"]) if listing => {
                function(ListProvisionedConcurrencyConfigs, f)
            }
            ("functions", "DELETE", [f, "provisioned-concurrency"]) => {
                function(DeleteProvisionedConcurrencyConfig, f)
            }
            _ => None,
        }
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        match self {
            Route::CreateFunction => Operation::CreateFunction,
            Route::ListFunctions => Operation::ListFunctions,
            Route::GetAccountSettings => Operation::GetAccountSettings,
            Route::Function { operation, .. } | Route::Alias { operation, .. } => *operation,
        }
    }

    /// The function the path names, as given (a name, `name:qualifier` or an ARN).
    pub fn function(&self) -> Option<&str> {
        match self {
            Route::Function { function, .. } | Route::Alias { function, .. } => Some(function),
            _ => None,
        }
    }
}

/// `YYYY-MM-DD`.
fn is_api_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, uri: &str) -> Option<Route> {
        Route::of(&method, &uri.parse().unwrap())
    }

    #[test]
    fn paths_route_to_operations_with_their_parameters() {
        assert_eq!(
            route(Method::GET, "/2015-03-31/functions/f/aliases/RAM512"),
            Some(Route::Alias {
                operation: Operation::GetAlias,
                function: "f".into(),
                alias: "RAM512".into()
            })
        );
        let arn = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/configuration";
        let r = route(Method::GET, arn).unwrap();
        assert_eq!(r.operation(), Operation::GetFunctionConfiguration);
        assert_eq!(
            r.function(),
            Some("arn:aws:lambda:us-east-1:123456789012:function:f")
        );
        assert_eq!(
            route(Method::GET, "/2016-08-19/account-settings/"),
            Some(Route::GetAccountSettings)
        );
        assert_eq!(
            route(
                Method::GET,
                "/2019-09-30/functions/f/provisioned-concurrency?List=ALL"
            )
            .map(|r| r.operation()),
            Some(Operation::ListProvisionedConcurrencyConfigs)
        );
        assert_eq!(
            route(Method::POST, "/2015-03-31/functions").map(|r| r.operation()),
            Some(Operation::CreateFunction)
        );
    }

    #[test]
    fn unknown_paths_and_methods_route_nowhere() {
        assert_eq!(route(Method::PATCH, "/2015-03-31/functions/f"), None);
        assert_eq!(route(Method::GET, "/functions/f"), None);
        assert_eq!(route(Method::GET, "/2015-03-31/layers"), None);
        assert_eq!(route(Method::GET, "/2015-03-31/functions/f/nothing"), None);
    }

    #[test]
    fn operations_deserialize_by_lambdas_names() {
        let op: Operation = serde_json::from_str("\"UpdateFunctionConfiguration\"").unwrap();
        assert_eq!(op.name(), "UpdateFunctionConfiguration");
        assert!(serde_json::from_str::<Operation>("\"UpdateFunction\"").is_err());
        assert!(!Operation::Invoke.is_control_plane());
    }
}
