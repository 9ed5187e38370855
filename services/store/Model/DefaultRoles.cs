using System.Collections.Frozen;

namespace Chat.Store.Model;

/// <summary>
/// Mattermost's default roles on a fresh, unlicensed server (the 11.9 catalogue) and the permissions each grants:
/// its model.MakeDefaultRoles as changed by the permission migrations every new server runs at its first start
/// (app/permissions_migrations.go), which give team and channel admins the moderated channel permissions, for
/// example.
/// The roles API serves them and every permission check of the server reads them, so what clients are told a role
/// may do is what the server lets it do. Roles cannot be edited here, so they are data of the server version, not
/// rows: their ids are derived from their names (<see cref="Ids.Derived"/>), equal on every node.
/// </summary>
public static class DefaultRoles
{
    /// <summary>What the channel moderation migration gives team and channel admins (create_post and what channel_user has of the rest).</summary>
    private static readonly string[] Moderated =
        ["create_post", "add_reaction", "remove_reaction", "manage_public_channel_members", "manage_private_channel_members", "use_channel_mentions"];

    /// <summary>What the system console migration gives every role that manages public or private channel members.</summary>
    private static readonly string[] ChannelGroups = ["read_public_channel_groups", "read_private_channel_groups"];

    private static readonly string[] Bookmarks =
    [
        "add_bookmark_public_channel", "edit_bookmark_public_channel", "delete_bookmark_public_channel", "order_bookmark_public_channel",
        "add_bookmark_private_channel", "edit_bookmark_private_channel", "delete_bookmark_private_channel", "order_bookmark_private_channel",
    ];

    /// <summary>
    /// Mattermost's SysconsoleAncillaryPermissions: the other permissions a system console permission needs, added to
    /// the system console roles (system_user_manager, system_manager, system_read_only_admin).
    /// </summary>
    private static readonly Dictionary<string, string[]> Ancillary = new()
    {
        ["sysconsole_read_about_edition_and_license"] = ["read_license_information"],
        ["sysconsole_write_about_edition_and_license"] = ["manage_license_information"],
        ["sysconsole_read_user_management_channels"] = ["read_public_channel", "read_channel", "read_public_channel_groups", "read_private_channel_groups"],
        ["sysconsole_read_user_management_users"] = ["read_other_users_teams"],
        ["sysconsole_read_user_management_teams"] = ["list_private_teams", "list_public_teams", "view_team"],
        ["sysconsole_read_environment_elasticsearch"] = ["read_elasticsearch_post_indexing_job", "read_elasticsearch_post_aggregation_job"],
        ["sysconsole_write_environment_web_server"] = ["test_site_url", "reload_config", "invalidate_caches"],
        ["sysconsole_write_environment_database"] = ["recycle_database_connections"],
        ["sysconsole_write_environment_elasticsearch"] =
        [
            "test_elasticsearch", "create_elasticsearch_post_indexing_job", "manage_elasticsearch_post_indexing_job",
            "create_elasticsearch_post_aggregation_job", "manage_elasticsearch_post_aggregation_job", "purge_elasticsearch_indexes",
        ],
        ["sysconsole_write_environment_file_storage"] = ["test_s3"],
        ["sysconsole_write_environment_smtp"] = ["test_email"],
        ["sysconsole_read_reporting_server_logs"] = ["get_logs"],
        ["sysconsole_read_reporting_site_statistics"] = ["get_analytics"],
        ["sysconsole_read_reporting_team_statistics"] = ["get_analytics"],
        ["sysconsole_write_user_management_users"] = ["edit_other_users", "demote_to_guest", "promote_guest"],
        ["sysconsole_write_user_management_channels"] =
        [
            "manage_public_channel_properties", "manage_private_channel_properties", "manage_public_channel_auto_translation",
            "manage_private_channel_auto_translation", "manage_private_channel_members", "manage_public_channel_members",
            "delete_private_channel", "delete_public_channel", "manage_channel_roles", "convert_public_channel_to_private",
            "convert_private_channel_to_public",
        ],
        ["sysconsole_write_user_management_teams"] =
            ["manage_team", "manage_team_roles", "remove_user_from_team", "join_private_teams", "join_public_teams", "add_user_to_team"],
        ["sysconsole_write_user_management_groups"] =
            ["manage_private_channel_members", "manage_public_channel_members", "convert_public_channel_to_private", "convert_private_channel_to_public"],
        ["sysconsole_write_site_customization"] = ["edit_brand"],
        ["sysconsole_write_compliance_data_retention_policy"] = ["create_data_retention_job", "manage_data_retention_job"],
        ["sysconsole_read_compliance_data_retention_policy"] = ["read_data_retention_job"],
        ["sysconsole_write_compliance_compliance_export"] = ["create_compliance_export_job", "manage_compliance_export_job", "download_compliance_export_result"],
        ["sysconsole_read_compliance_compliance_export"] = ["read_compliance_export_job", "download_compliance_export_result"],
        ["sysconsole_read_compliance_compliance_monitoring"] = ["read_audits"],
        ["sysconsole_write_authentication_ldap"] =
            ["create_ldap_sync_job", "manage_ldap_sync_job", "add_ldap_public_cert", "remove_ldap_public_cert", "add_ldap_private_cert", "remove_ldap_private_cert"],
        ["sysconsole_read_authentication_ldap"] = ["test_ldap", "read_ldap_sync_job"],
        ["sysconsole_write_authentication_email"] = ["invalidate_email_invite"],
        ["sysconsole_write_authentication_saml"] =
        [
            "get_saml_metadata_from_idp", "add_saml_public_cert", "add_saml_private_cert", "add_saml_idp_cert",
            "remove_saml_public_cert", "remove_saml_private_cert", "remove_saml_idp_cert", "get_saml_cert_status",
        ],
    };

    private static readonly string[] ReadAuthentication =
    [
        "sysconsole_read_authentication_signup", "sysconsole_read_authentication_email", "sysconsole_read_authentication_password",
        "sysconsole_read_authentication_mfa", "sysconsole_read_authentication_ldap", "sysconsole_read_authentication_saml",
        "sysconsole_read_authentication_openid", "sysconsole_read_authentication_guest_access",
    ];

    private static readonly string[] ReadEnvironment =
    [
        "sysconsole_read_environment_web_server", "sysconsole_read_environment_database", "sysconsole_read_environment_elasticsearch",
        "sysconsole_read_environment_file_storage", "sysconsole_read_environment_image_proxy", "sysconsole_read_environment_smtp",
        "sysconsole_read_environment_push_notification_server", "sysconsole_read_environment_high_availability",
        "sysconsole_read_environment_rate_limiting", "sysconsole_read_environment_logging", "sysconsole_read_environment_session_lengths",
        "sysconsole_read_environment_performance_monitoring", "sysconsole_read_environment_developer",
    ];

    private static readonly string[] ReadSite =
    [
        "sysconsole_read_site_customization", "sysconsole_read_site_localization", "sysconsole_read_site_users_and_teams",
        "sysconsole_read_site_notifications", "sysconsole_read_site_announcement_banner", "sysconsole_read_site_emoji",
        "sysconsole_read_site_posts", "sysconsole_read_site_file_sharing_and_downloads", "sysconsole_read_site_public_links",
        "sysconsole_read_site_notices",
    ];

    private static readonly string[] ReadReporting =
    [
        "sysconsole_read_about_edition_and_license", "sysconsole_read_reporting_site_statistics",
        "sysconsole_read_reporting_team_statistics", "sysconsole_read_reporting_server_logs",
    ];

    private static readonly string[] ReadIntegrations =
    [
        "sysconsole_read_plugins", "sysconsole_read_integrations_integration_management", "sysconsole_read_integrations_bot_accounts",
        "sysconsole_read_integrations_gif", "sysconsole_read_integrations_cors",
    ];

    private static readonly string[] ReadUserManagement =
    [
        "sysconsole_read_user_management_groups", "sysconsole_read_user_management_teams",
        "sysconsole_read_user_management_channels", "sysconsole_read_user_management_permissions",
    ];

    private static readonly string[] WriteUserManagement =
        ["sysconsole_write_user_management_groups", "sysconsole_write_user_management_teams", "sysconsole_write_user_management_channels"];

    /// <summary>Every default role, by name.</summary>
    public static FrozenDictionary<string, Role> ByName { get; } = new[]
    {
        SchemeRole("system_guest", "create_direct_channel", "create_group_channel"),
        SchemeRole("system_user",
            "list_public_teams", "join_public_teams", "create_direct_channel", "create_group_channel", "view_members", "create_team",
            "create_custom_group", "edit_custom_group", "delete_custom_group", "restore_custom_group", "manage_custom_group_members",
            "manage_own_agent",
            // Added by the emoji permissions migration every fresh Mattermost server runs.
            "create_emojis", "delete_emojis"),
        SchemeRole("system_admin", [.. Permissions.All]),
        // use_group_mentions goes to every role that may post, upload_file to every role with create_post (migrations).
        OtherRole("system_post_all", "create_post", "use_channel_mentions", "use_group_mentions", "upload_file"),
        OtherRole("system_post_all_public", "create_post_public", "use_channel_mentions", "use_group_mentions"),
        OtherRole("system_user_access_token", "create_user_access_token", "read_user_access_token", "revoke_user_access_token"),
        OtherRole("system_user_manager", WithAncillaries([.. ReadUserManagement, .. WriteUserManagement, .. ReadAuthentication])),
        OtherRole("system_read_only_admin", WithAncillaries(
        [
            .. ReadReporting, "sysconsole_read_user_management_users", .. ReadUserManagement, .. ReadEnvironment, .. ReadSite,
            .. ReadAuthentication, .. ReadIntegrations,
            "sysconsole_read_compliance_data_retention_policy", "sysconsole_read_compliance_compliance_export",
            "sysconsole_read_compliance_compliance_monitoring", "sysconsole_read_compliance_custom_terms_of_service",
            "sysconsole_read_experimental_features", "sysconsole_read_experimental_feature_flags", "sysconsole_read_products_boards",
            "sysconsole_read_environment_mobile_security",
        ])),
        OtherRole("system_manager", WithAncillaries(
        [
            .. ReadReporting, .. ReadUserManagement, .. WriteUserManagement, "sysconsole_write_user_management_permissions",
            .. ReadEnvironment,
            "sysconsole_write_environment_web_server", "sysconsole_write_environment_database", "sysconsole_write_environment_elasticsearch",
            "sysconsole_write_environment_file_storage", "sysconsole_write_environment_image_proxy", "sysconsole_write_environment_smtp",
            "sysconsole_write_environment_push_notification_server", "sysconsole_write_environment_high_availability",
            "sysconsole_write_environment_rate_limiting", "sysconsole_write_environment_logging", "sysconsole_write_environment_session_lengths",
            "sysconsole_write_environment_performance_monitoring", "sysconsole_write_environment_developer",
            .. ReadSite,
            "sysconsole_write_site_customization", "sysconsole_write_site_localization", "sysconsole_write_site_users_and_teams",
            "sysconsole_write_site_notifications", "sysconsole_write_site_announcement_banner", "sysconsole_write_site_emoji",
            "sysconsole_write_site_posts", "sysconsole_write_site_file_sharing_and_downloads", "sysconsole_write_site_public_links",
            "sysconsole_write_site_notices",
            .. ReadAuthentication, .. ReadIntegrations,
            "sysconsole_write_integrations_integration_management", "sysconsole_write_integrations_bot_accounts",
            "sysconsole_write_integrations_gif", "sysconsole_write_integrations_cors",
            "sysconsole_read_products_boards", "sysconsole_write_products_boards", "manage_outgoing_oauth_connections",
        ])),
        OtherRole("system_custom_group_admin",
            "create_custom_group", "edit_custom_group", "delete_custom_group", "restore_custom_group", "manage_custom_group_members"),
        OtherRole("system_shared_channel_manager", "manage_shared_channels"),

        SchemeRole("team_guest", "view_team"),
        SchemeRole("team_user",
            "list_team_channels", "join_public_channels", "read_public_channel", "view_team", "create_public_channel",
            "create_private_channel", "invite_user", "add_user_to_team",
            // The playbooks migration's, for every role that creates channels.
            "playbook_public_create", "playbook_private_create"),
        SchemeRole("team_admin",
        [
            "remove_user_from_team", "manage_team", "import_team", "manage_team_roles", "manage_team_access_rules",
            "manage_channel_roles", "manage_own_incoming_webhooks", "manage_others_incoming_webhooks", "manage_own_outgoing_webhooks",
            "manage_others_outgoing_webhooks", "manage_own_slash_commands", "manage_others_slash_commands",
            "bypass_incoming_webhook_channel_lock", "convert_public_channel_to_private", "convert_private_channel_to_public",
            "delete_post", "delete_others_posts", .. Bookmarks, "manage_public_channel_banner", "manage_private_channel_banner",
            "manage_channel_access_rules",
            .. Moderated, "use_group_mentions", .. ChannelGroups, "upload_file", "playbook_public_manage_roles",
            "playbook_private_manage_roles", "manage_public_channel_auto_translation", "manage_private_channel_auto_translation",
        ]),
        OtherRole("team_post_all", "create_post", "use_channel_mentions", "use_group_mentions", "upload_file"),
        OtherRole("team_post_all_public", "create_post_public", "use_channel_mentions", "use_group_mentions"),

        SchemeRole("channel_guest",
            "read_channel", "read_channel_content", "add_reaction", "remove_reaction", "upload_file", "edit_post", "create_post",
            "use_channel_mentions", "edit_file_attachment"),
        SchemeRole("channel_user",
        [
            "read_channel", "read_channel_content", "add_reaction", "remove_reaction", "manage_public_channel_members", "upload_file",
            "get_public_link", "create_post", "use_channel_mentions", "manage_public_channel_properties", "delete_public_channel",
            "manage_private_channel_properties", "delete_private_channel", "manage_private_channel_members", "delete_post", "edit_post",
            "edit_file_attachment", .. Bookmarks, "use_group_mentions", .. ChannelGroups,
        ]),
        SchemeRole("channel_admin",
        [
            "manage_channel_roles", "use_group_mentions", .. Bookmarks, "manage_public_channel_banner", "manage_private_channel_banner",
            "manage_channel_access_rules", "manage_public_channel_auto_translation", "manage_private_channel_auto_translation",
            .. Moderated, .. ChannelGroups, "upload_file",
        ]),

        SchemeRole("playbook_admin",
            "playbook_public_manage_members", "playbook_public_manage_roles", "playbook_public_manage_properties",
            "playbook_private_manage_members", "playbook_private_manage_roles", "playbook_private_manage_properties",
            "playbook_public_make_private"),
        SchemeRole("playbook_member",
            "playbook_public_view", "playbook_public_manage_members", "playbook_public_manage_properties", "playbook_private_view",
            "playbook_private_manage_members", "playbook_private_manage_properties", "run_create"),
        SchemeRole("run_admin", "run_manage_members", "run_manage_properties"),
        SchemeRole("run_member", "run_view"),
        // Mattermost has it, with no permissions, and not as a built-in role.
        new Role { Id = Ids.Derived("role:custom_group_user"), Name = "custom_group_user", DisplayName = DisplayName("custom_group_user"), Description = Description("custom_group_user"), Permissions = [] },
    }.ToFrozenDictionary(role => role.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, Role> RolesById = ByName.Values.ToFrozenDictionary(role => role.Id, StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, FrozenSet<string>> Granted =
        ByName.Values.ToFrozenDictionary(role => role.Name, role => role.Permissions.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);

    public static Role? ById(string id) => RolesById.GetValueOrDefault(id);

    /// <summary>
    /// Whether any role of <paramref name="roles"/> (a space-separated list, as users and members carry them) grants
    /// <paramref name="permission"/>. Unknown role names grant nothing.
    /// </summary>
    public static bool Grant(string roles, string permission)
    {
        foreach (var name in roles.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Granted.TryGetValue(name, out var permissions) && permissions.Contains(permission))
            {
                return true;
            }
        }
        return false;
    }

    // The roles of Mattermost's permission schemes (system, team and channel members); the others are assigned apart.
    private static Role SchemeRole(string name, params string[] permissions) => Build(name, permissions, schemeManaged: true);

    private static Role OtherRole(string name, params string[] permissions) => Build(name, permissions, schemeManaged: false);

    private static Role Build(string name, string[] permissions, bool schemeManaged) => new()
    {
        Id = Ids.Derived("role:" + name),
        Name = name,
        DisplayName = DisplayName(name),
        Description = Description(name),
        Permissions = permissions,
        SchemeManaged = schemeManaged,
        BuiltIn = true,
    };

    // The web app translates these keys; the system scheme's roles keep their historical "global" keys.
    private static string DisplayName(string name) => $"authentication.roles.{I18nName(name)}.name";

    private static string Description(string name) => $"authentication.roles.{I18nName(name)}.description";

    private static string I18nName(string name) => name switch
    {
        "system_guest" => "global_guest",
        "system_user" => "global_user",
        "system_admin" => "global_admin",
        _ => name,
    };

    private static string[] WithAncillaries(string[] permissions) =>
        [.. permissions.Concat(permissions.SelectMany(p => Ancillary.GetValueOrDefault(p) ?? [])).Distinct()];
}
