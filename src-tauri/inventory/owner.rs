//! Whose kept list it is: the tenant, the cloud and the account it was read by.
//!
//! The kept list holds names and user names of one tenant's people. One data folder serves
//! every tenant an admin signs in to (and the demo), so each list is stamped with its owner
//! when it is read, and shown, exported, counted or handed to the lens or to Bulk only to the
//! same owner. The demo tenant moves to a new loopback port at every launch, so its lists are
//! stamped `demo` rather than with its address; Microsoft's clouds and custom endpoints are
//! stamped with their Graph root, so a list read at one set of endpoints never shows at another.

use crate::auth::Account;
use crate::cloud::{Cloud, CloudId};

/// The tenant, cloud and account a kept list was read for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOwner {
    /// The directory (tenant) ID the account signed in to, lower case.
    pub tenant_id: String,
    /// The cloud's short name ([`CloudId::as_str`]).
    pub cloud: String,
    /// Where the list was read: the Graph root, or `demo` for the built-in demo tenant.
    pub graph: String,
    /// The signed-in account's user name, lower case (its object ID when it has none).
    pub account: String,
}

impl ListOwner {
    /// `account`, signed in to `tenant` (the setup's tenant, used when the account names none)
    /// at `cloud`.
    pub fn signed_in(cloud: &Cloud, tenant: &str, account: &Account) -> ListOwner {
        let tenant_id = match account.tenant_id.trim() {
            "" => tenant.trim(),
            signed_in => signed_in,
        };
        let account = match account.username.trim() {
            "" => account.object_id.trim(),
            username => username,
        };
        ListOwner {
            tenant_id: tenant_id.to_lowercase(),
            cloud: cloud.id.as_str().to_owned(),
            graph: match cloud.id {
                CloudId::Demo => CloudId::Demo.as_str().to_owned(),
                _ => cloud.graph_root(),
            },
            account: account.to_lowercase(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(username: &str, tenant_id: &str) -> Account {
        Account {
            name: "Megan Bowen".into(),
            username: username.into(),
            tenant_id: tenant_id.into(),
            object_id: "d88109ee-1103-4179-ad11-faf90c9becdb".into(),
        }
    }

    const TENANT_A: &str = "B3A8E2D4-6C1F-4E97-A5D2-0F7C9E14B628";
    const TENANT_B: &str = "0f7c9e14-6c1f-4e97-a5d2-b3a8e2d4b628";

    #[test]
    fn tenant_cloud_endpoints_and_account_each_tell_owners_apart() {
        let global = Cloud::microsoft(CloudId::Global).unwrap();
        let megan = account("MeganB@contoso.com", TENANT_A);
        let owner = ListOwner::signed_in(&global, "contoso.com", &megan);
        assert_eq!(
            owner,
            ListOwner {
                tenant_id: TENANT_A.to_lowercase(),
                cloud: "global".into(),
                graph: "https://graph.microsoft.com".into(),
                account: "meganb@contoso.com".into(),
            }
        );
        let same = ListOwner::signed_in(
            &global,
            "organizations",
            &account("meganb@CONTOSO.com", TENANT_A),
        );
        assert_eq!(same, owner, "case and the setup's alias do not matter");

        let other_tenant =
            ListOwner::signed_in(&global, "", &account("meganb@contoso.com", TENANT_B));
        let other_account =
            ListOwner::signed_in(&global, "", &account("diegos@contoso.com", TENANT_A));
        let gcc_high =
            ListOwner::signed_in(&Cloud::microsoft(CloudId::UsGovL4).unwrap(), "", &megan);
        let custom = Cloud::custom("http://127.0.0.1:4000", "http://127.0.0.1:4001").unwrap();
        let custom_owner = ListOwner::signed_in(&custom, "", &megan);
        let moved = Cloud::custom("http://127.0.0.1:4000", "http://127.0.0.1:4002").unwrap();
        for other in [&other_tenant, &other_account, &gcc_high, &custom_owner] {
            assert_ne!(other, &owner);
        }
        assert_ne!(ListOwner::signed_in(&moved, "", &megan), custom_owner);
    }

    #[test]
    fn the_demo_is_one_owner_on_any_port_and_never_a_real_tenant() {
        let megan = account("meganb@contoso.onmicrosoft.com", TENANT_A);
        let today = Cloud::demo("http://127.0.0.1:50001", "http://127.0.0.1:50002").unwrap();
        let tomorrow = Cloud::demo("http://127.0.0.1:61001", "http://127.0.0.1:61002").unwrap();
        let demo = ListOwner::signed_in(&today, "", &megan);
        assert_eq!(ListOwner::signed_in(&tomorrow, "", &megan), demo);
        assert_eq!((demo.cloud.as_str(), demo.graph.as_str()), ("demo", "demo"));
        let global = Cloud::microsoft(CloudId::Global).unwrap();
        let custom = Cloud::custom("http://127.0.0.1:50001", "http://127.0.0.1:50002").unwrap();
        assert_ne!(ListOwner::signed_in(&global, "", &megan), demo);
        assert_ne!(ListOwner::signed_in(&custom, "", &megan), demo);
    }

    #[test]
    fn an_account_without_claims_falls_back_to_the_setup_tenant_and_object_id() {
        let global = Cloud::microsoft(CloudId::Global).unwrap();
        let bare = Account {
            object_id: "ABC".into(),
            ..Account::default()
        };
        let owner = ListOwner::signed_in(&global, "Contoso.com", &bare);
        assert_eq!(
            (owner.tenant_id.as_str(), owner.account.as_str()),
            ("contoso.com", "abc")
        );
    }
}
