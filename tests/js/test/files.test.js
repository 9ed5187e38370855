import assert from 'node:assert/strict';
import {describe, it, before} from 'node:test';
import {ID, rejectsWithAppError, routes, signUp, unique} from './support.js';

// A 1x1 PNG: small enough to inline, real enough to get a thumbnail and a preview.
const DOT_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** The form the web app sends: channel_id, then a client id per file, then the files. */
function uploadForm(channelId, files, clientIds = files.map((_, i) => `${unique('c')}-${i}`)) {
    const form = new FormData();
    form.append('channel_id', channelId);
    clientIds.forEach((id) => form.append('client_ids', id));
    for (const {name, bytes, type} of files) {
        form.append('files', new Blob([bytes], {type}), name);
    }
    return form;
}

/** GETs a file URL Client4 built, with the client's session, as the web app's <img> and download links do. */
async function download(client, url) {
    const response = await fetch(url, {headers: {Authorization: `Bearer ${client.getToken()}`}});
    return {response, bytes: Buffer.from(await response.arrayBuffer())};
}

for (const route of routes) {
    describe(`files through ${route.name}`, () => {
        let alice;
        let bob;
        let carol;
        let channel;

        before(async () => {
            alice = await signUp(route.urls, 'alice', 0);
            bob = await signUp(route.urls, 'bob', 1);
            carol = await signUp(route.urls, 'carol', 0);
            const team = await alice.on(0).createTeam({name: unique('files-'), display_name: 'Files', type: 'O'});
            await alice.on(1).addToTeam(team.id, bob.id);
            await alice.on(0).addToTeam(team.id, carol.id);
            channel = await alice.on(0).createChannel({team_id: team.id, name: unique('share-'), display_name: 'Share', type: 'P'});
            await alice.on(1).addToChannel(bob.id, channel.id);
        });

        it('uploadFile stores the files; createPost attaches them; getFileInfosForPost and the file URLs read them on the other node', async () => {
            const text = Buffer.from(`notes ${unique('n')}\n`.repeat(1000));
            const uploaded = await alice.on(0).uploadFile(uploadForm(channel.id, [
                {name: 'dot.png', bytes: DOT_PNG, type: 'image/png'},
                {name: 'notes.txt', bytes: text, type: 'text/plain'},
            ], ['client-0', 'client-1']));
            assert.deepEqual(uploaded.client_ids, ['client-0', 'client-1']);
            const [image, notes] = uploaded.file_infos;
            assert.match(image.id, ID);
            assert.equal(image.name, 'dot.png');
            assert.equal(image.extension, 'png');
            assert.equal(image.mime_type, 'image/png');
            assert.equal(image.width, 1);
            assert.equal(image.height, 1);
            assert.equal(image.has_preview_image, true);
            assert.ok(image.mini_preview, 'images carry a mini preview');
            assert.equal(image.user_id, alice.id);
            assert.equal(notes.size, text.length);
            assert.equal(notes.post_id, '');

            const post = await alice.on(1).createPost({channel_id: channel.id, message: '', file_ids: [image.id, notes.id]});
            assert.deepEqual(post.file_ids, [image.id, notes.id]);
            assert.deepEqual(post.metadata.files.map((f) => f.id), [image.id, notes.id]);

            const infos = await bob.on(0).getFileInfosForPost(post.id);
            assert.deepEqual(infos.map((f) => f.id), [image.id, notes.id]);
            assert.ok(infos.every((f) => f.post_id === post.id));
            const read = await bob.on(1).getPost(post.id);
            assert.deepEqual(read.metadata.files.map((f) => f.name), ['dot.png', 'notes.txt']);

            const file = await download(bob.on(0), bob.on(0).getFileUrl(notes.id, 0));
            assert.equal(file.response.status, 200);
            assert.deepEqual(file.bytes, text);
            assert.equal(file.response.headers.get('x-content-type-options'), 'nosniff');
            const original = await download(bob.on(1), bob.on(1).getFileUrl(image.id, 0));
            assert.deepEqual(original.bytes, DOT_PNG);
            const thumbnail = await download(bob.on(0), bob.on(0).getFileThumbnailUrl(image.id, 0));
            assert.equal(thumbnail.response.status, 200);
            assert.equal(thumbnail.response.headers.get('content-type'), 'image/jpeg');
            const preview = await download(bob.on(1), bob.on(1).getFilePreviewUrl(image.id, 0));
            assert.equal(preview.response.status, 200);

            // Deleting the post deletes its files.
            await alice.on(0).deletePost(post.id);
            const gone = await download(bob.on(1), bob.on(1).getFileUrl(image.id, 0));
            assert.equal(gone.response.status, 404);
        });

        it('an HTML upload is served as an attachment, never inline', async () => {
            const uploaded = await alice.on(0).uploadFile(uploadForm(channel.id, [
                {name: 'page.html', bytes: Buffer.from('<script>alert(1)</script>'), type: 'text/html'},
            ]));
            const {response} = await download(bob.on(1), bob.on(1).getFileUrl(uploaded.file_infos[0].id, 0));
            assert.equal(response.status, 200);
            assert.match(response.headers.get('content-disposition'), /^attachment;/);
            assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        });

        it('non-members can neither upload to nor read the channel; public links are off', async () => {
            const uploaded = await alice.on(0).uploadFile(uploadForm(channel.id, [{name: 'secret.txt', bytes: Buffer.from('secret'), type: 'text/plain'}]));
            const post = await alice.on(1).createPost({channel_id: channel.id, message: 'secret', file_ids: [uploaded.file_infos[0].id]});
            await rejectsWithAppError(carol.on(0).getFileInfosForPost(post.id), 403, 'api.context.permissions.app_error');
            await rejectsWithAppError(carol.on(1).uploadFile(uploadForm(channel.id, [{name: 'x.txt', bytes: Buffer.from('x'), type: 'text/plain'}])), 403);
            const {response} = await download(carol.on(0), carol.on(0).getFileUrl(uploaded.file_infos[0].id, 0));
            assert.equal(response.status, 403);
            await rejectsWithAppError(bob.on(0).getFilePublicLink(uploaded.file_infos[0].id), 403, 'api.file.get_public_link.disabled.app_error');
        });
    });
}

for (const route of routes) {
    describe(`profile images through ${route.name}`, () => {
        it('getProfilePictureUrl serves a default; uploadProfileImage and setDefaultProfileImage change it on every node', async () => {
            const dana = await signUp(route.urls, 'dana', 0);
            const generated = await download(dana.on(1), dana.on(1).getProfilePictureUrl(dana.id, 0));
            assert.equal(generated.response.status, 200);
            assert.equal(generated.response.headers.get('content-type'), 'image/png');

            await dana.on(0).uploadProfileImage(dana.id, new Blob([DOT_PNG], {type: 'image/png'}));
            const me = await dana.on(1).getMe();
            assert.ok(me.last_picture_update > 0);
            const custom = await download(dana.on(1), dana.on(1).getProfilePictureUrl(dana.id, me.last_picture_update));
            assert.notDeepEqual(custom.bytes, generated.bytes);

            await dana.on(0).setDefaultProfileImage(dana.id);
            const reset = await download(dana.on(1), dana.on(1).getProfilePictureUrl(dana.id, 0));
            assert.deepEqual(reset.bytes, generated.bytes);
        });
    });
}

for (const route of routes) {
    describe(`custom emoji through ${route.name}`, () => {
        it('createCustomEmoji stores the emoji and its image; getCustomEmojiImageUrl serves it on the other node; deleteCustomEmoji removes it', async () => {
            const erin = await signUp(route.urls, 'erin', 0);
            const frank = await signUp(route.urls, 'frank', 1);
            const name = unique('party-');
            const emoji = await erin.on(0).createCustomEmoji({name, creator_id: erin.id}, new Blob([DOT_PNG], {type: 'image/png'}));
            assert.match(emoji.id, ID);
            assert.equal(emoji.name, name);
            assert.equal(emoji.creator_id, erin.id);
            assert.equal((await frank.on(1).getCustomEmojiByName(name)).id, emoji.id);
            const image = await download(frank.on(1), frank.on(1).getCustomEmojiImageUrl(emoji.id));
            assert.equal(image.response.status, 200);
            assert.equal(image.response.headers.get('content-type'), 'image/png');
            assert.deepEqual(image.bytes, DOT_PNG);

            await rejectsWithAppError(erin.on(1).createCustomEmoji({name, creator_id: erin.id}, new Blob([DOT_PNG], {type: 'image/png'})),
                400, 'api.emoji.create.duplicate.app_error');
            await rejectsWithAppError(frank.on(0).deleteCustomEmoji(emoji.id), 403);
            await erin.on(1).deleteCustomEmoji(emoji.id);
            await rejectsWithAppError(frank.on(0).getCustomEmoji(emoji.id), 404);
        });

        it('patchPost replaces the files; getChannelStats counts them', async () => {
            const gina = await signUp(route.urls, 'gina', 0);
            const team = await gina.on(0).createTeam({name: unique('emoji-'), display_name: 'Edits', type: 'O'});
            const channel = await gina.on(1).createChannel({team_id: team.id, name: unique('edit-'), display_name: 'Edit', type: 'O'});
            const {file_infos: [first, second]} = await gina.on(0).uploadFile(uploadForm(channel.id, [
                {name: 'a.txt', bytes: Buffer.from('a'), type: 'text/plain'},
                {name: 'b.txt', bytes: Buffer.from('b'), type: 'text/plain'},
            ]));
            const post = await gina.on(1).createPost({channel_id: channel.id, message: 'files', file_ids: [first.id]});
            assert.equal((await gina.on(0).getChannelStats(channel.id, true)).files_count, 1);
            const edited = await gina.on(0).patchPost({id: post.id, file_ids: [second.id]});
            assert.deepEqual(edited.file_ids, [second.id]);
            assert.deepEqual(edited.metadata.files.map((f) => f.id), [second.id]);
            assert.deepEqual((await gina.on(1).getFileInfosForPost(post.id)).map((f) => f.id), [second.id]);
            assert.equal((await gina.on(1).getChannelStats(channel.id, true)).files_count, 1);
        });
    });
}
