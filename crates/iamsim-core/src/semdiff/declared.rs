//! Accounts that one world declares and the other does not (README,
//! "Reviewing a change"). A world that lacks an account the other declares
//! is read as declaring it with nothing in it: the account exists, and the
//! world models no principal, resource or organization level of it. Read
//! otherwise, its principals would be outsiders there (crate::outsider),
//! whose own account lets them do anything: a role that a Terraform plan
//! creates in an account the world before it says nothing of would seem to
//! have had every access already.

use crate::world::{Account, World};

/// Both worlds with every account either declares, or `None` when they
/// declare the same ones.
pub fn with_every_account(before: &World, after: &World) -> Option<[World; 2]> {
    let missing = |w: &World, other: &World| -> Vec<String> {
        let mut ids: Vec<String> = other
            .accounts
            .keys()
            .filter(|id| !w.accounts.contains_key(*id))
            .cloned()
            .collect();
        ids.sort();
        ids
    };
    let (to_before, to_after) = (missing(before, after), missing(after, before));
    if to_before.is_empty() && to_after.is_empty() {
        return None;
    }
    let mut worlds = [before.clone(), after.clone()];
    declare(&mut worlds[0], &to_before);
    declare(&mut worlds[1], &to_after);
    Some(worlds)
}

/// Declares each account of `ids` in `world`, and in its deny reading.
fn declare(world: &mut World, ids: &[String]) {
    for id in ids {
        world.accounts.insert(
            id.clone(),
            Account {
                id: id.clone(),
                alias: None,
                levels: Vec::new(),
                is_management: false,
            },
        );
    }
    if let Some(d) = world.deny_reading.as_deref_mut() {
        declare(d, ids);
    }
}
