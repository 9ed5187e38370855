import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {ID, rejectsWithAppError, routes, signUp, unique} from './support.js';

for (const route of routes) {
    describe(`teams and channels through ${route.name}`, () => {
        let alice;
        let bob;
        let carol;
        let team;
        let open;
        let secret;

        before(async () => {
            alice = await signUp(route.urls, 'alice', 0);
            bob = await signUp(route.urls, 'bob', 1);
            carol = await signUp(route.urls, 'carol', 0);
        });

        it('createTeam, then getTeam and getMyTeams on another node', async () => {
            const name = unique('team-');
            team = await alice.on(0).createTeam({name, display_name: `Team ${name}`, type: 'O', allow_open_invite: true});
            assert.match(team.id, ID);
            assert.equal(team.name, name);
            assert.equal(team.display_name, `Team ${name}`);
            assert.equal(team.type, 'O');
            assert.equal(team.allow_open_invite, true);
            assert.equal(team.delete_at, 0);

            assert.deepEqual(await alice.on(1).getTeam(team.id), team);
            const mine = await alice.on(1).getMyTeams();
            assert.ok(mine.some((t) => t.id === team.id));
        });

        it('the creator is a team admin; addToTeam adds bob, who sees the team on another node', async () => {
            const members = await alice.on(1).getTeamMembers(team.id);
            const creator = members.find((m) => m.user_id === alice.id);
            assert.ok(creator, 'the creator is a member');
            assert.match(creator.roles, /\bteam_admin\b/);
            assert.equal(creator.scheme_admin, true);

            const added = await alice.on(0).addToTeam(team.id, bob.id);
            assert.equal(added.team_id, team.id);
            assert.equal(added.user_id, bob.id);
            assert.match(added.roles, /\bteam_user\b/);
            assert.doesNotMatch(added.roles, /\bteam_admin\b/);

            assert.ok((await bob.on(1).getMyTeams()).some((t) => t.id === team.id));
            const ids = (await bob.on(0).getTeamMembers(team.id, 0, 200)).map((m) => m.user_id);
            assert.deepEqual(ids.sort(), [alice.id, bob.id].sort());
        });

        it('a user joins an open team by adding themself', async () => {
            const joined = await carol.on(1).addToTeam(team.id, carol.id);
            assert.equal(joined.user_id, carol.id);
            assert.ok((await carol.on(0).getMyTeams()).some((t) => t.id === team.id));
        });

        it('createChannel makes public and private channels readable on the other node', async () => {
            open = await alice.on(0).createChannel({team_id: team.id, name: unique('open-'), display_name: 'Open', type: 'O', purpose: 'for everyone'});
            secret = await alice.on(1).createChannel({team_id: team.id, name: unique('secret-'), display_name: 'Secret', type: 'P'});
            assert.match(open.id, ID);
            assert.equal(open.type, 'O');
            assert.equal(open.team_id, team.id);
            assert.equal(open.purpose, 'for everyone');
            assert.equal(open.creator_id, alice.id);
            assert.equal(secret.type, 'P');

            const readOpen = await alice.on(1).getChannel(open.id);
            assert.equal(readOpen.id, open.id);
            assert.equal(readOpen.name, open.name);
            assert.equal((await alice.on(0).getChannel(secret.id)).type, 'P');

            // A team member may read a public channel without joining it.
            assert.equal((await bob.on(0).getChannel(open.id)).id, open.id);
        });

        it('getMyChannels lists the member\'s channels of the team', async () => {
            const mine = (await alice.on(1).getMyChannels(team.id)).map((c) => c.id);
            assert.ok(mine.includes(open.id));
            assert.ok(mine.includes(secret.id));
            const bobs = (await bob.on(0).getMyChannels(team.id)).map((c) => c.id);
            assert.ok(!bobs.includes(secret.id));
        });

        it('addToChannel, getChannelMembers and removeFromChannel across nodes', async () => {
            const added = await alice.on(0).addToChannel(bob.id, secret.id);
            assert.equal(added.channel_id, secret.id);
            assert.equal(added.user_id, bob.id);
            assert.match(added.roles, /\bchannel_user\b/);

            const members = (await bob.on(1).getChannelMembers(secret.id)).map((m) => m.user_id);
            assert.deepEqual(members.sort(), [alice.id, bob.id].sort());
            assert.equal((await bob.on(1).getChannel(secret.id)).id, secret.id);
            assert.ok((await bob.on(0).getMyChannels(team.id)).some((c) => c.id === secret.id));

            // Joining a public channel oneself.
            const joined = await carol.on(1).addToChannel(carol.id, open.id);
            assert.equal(joined.user_id, carol.id);

            const removed = await alice.on(1).removeFromChannel(bob.id, secret.id);
            assert.equal(removed.status, 'OK');
            await rejectsWithAppError(bob.on(0).getChannel(secret.id), 403, 'api.context.permissions.app_error');
            const after = (await alice.on(0).getChannelMembers(secret.id)).map((m) => m.user_id);
            assert.deepEqual(after, [alice.id]);
        });

        it('createDirectChannel gives the two users one D channel', async () => {
            const dm = await alice.on(0).createDirectChannel([alice.id, bob.id]);
            assert.match(dm.id, ID);
            assert.equal(dm.type, 'D');
            assert.equal(dm.team_id, '');
            assert.equal(dm.name, [alice.id, bob.id].sort().join('__'));

            const again = await bob.on(1).createDirectChannel([bob.id, alice.id]);
            assert.equal(again.id, dm.id, 'the same pair gets the same channel from either side and node');
            assert.equal((await bob.on(0).getChannel(dm.id)).id, dm.id);
            await rejectsWithAppError(carol.on(1).getChannel(dm.id), 403);
            await rejectsWithAppError(carol.on(0).createDirectChannel([alice.id, bob.id]), 403);
        });

        it('removeFromTeam takes the user out of the team and its channels', async () => {
            await alice.on(0).addToChannel(bob.id, secret.id);
            const removed = await alice.on(1).removeFromTeam(team.id, bob.id);
            assert.equal(removed.status, 'OK');
            assert.ok(!(await bob.on(0).getMyTeams()).some((t) => t.id === team.id));
            await rejectsWithAppError(bob.on(1).getChannel(secret.id), 403);
            await rejectsWithAppError(bob.on(0).getChannel(open.id), 403);
            const ids = (await alice.on(0).getTeamMembers(team.id)).map((m) => m.user_id);
            assert.ok(!ids.includes(bob.id));
        });

        it('team and channel errors are AppErrors', async () => {
            const invite = await alice.on(0).createTeam({name: unique('closed-'), display_name: 'Invite only', type: 'I'});
            await rejectsWithAppError(bob.on(1).getTeam(invite.id), 403, 'api.context.permissions.app_error');
            await rejectsWithAppError(bob.on(0).addToTeam(invite.id, bob.id), 403);
            await rejectsWithAppError(bob.on(1).createChannel({team_id: invite.id, name: unique('nope-'), display_name: 'Nope', type: 'O'}), 403);
            await rejectsWithAppError(alice.on(0).createTeam({name: team.name, display_name: 'Again', type: 'O'}), 400, 'store.sql_team.save_team.existing.app_error');
            await rejectsWithAppError(alice.on(1).createChannel({team_id: team.id, name: open.name, display_name: 'Again', type: 'O'}), 400, 'store.sql_channel.save_channel.exists.app_error');
            await rejectsWithAppError(alice.on(0).createChannel({team_id: team.id, name: 'Bad Name', display_name: 'Bad', type: 'O'}), 400);
            await rejectsWithAppError(alice.on(1).getTeam('b'.repeat(26)), 404);
            await rejectsWithAppError(alice.on(0).getChannel('c'.repeat(26)), 404);
            await rejectsWithAppError(alice.on(1).getChannel('short'), 400, 'api.context.invalid_param.app_error');
        });
    });
}
