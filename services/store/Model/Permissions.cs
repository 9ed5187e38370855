namespace Chat.Store.Model;

/// <summary>
/// Mattermost's permission ids: the ones this server checks, and the whole catalogue (<see cref="All"/>), which is
/// what <c>system_admin</c> holds. Which role grants which permission is <see cref="DefaultRoles"/>.
/// </summary>
public static class Permissions
{
    public const string ManageSystem = "manage_system";
    public const string EditOtherUsers = "edit_other_users";
    public const string SysconsoleReadUserManagementUsers = "sysconsole_read_user_management_users";
    public const string SysconsoleReadUserManagementPermissions = "sysconsole_read_user_management_permissions";

    public const string CreateTeam = "create_team";
    public const string JoinPublicTeams = "join_public_teams";
    public const string JoinPrivateTeams = "join_private_teams";
    public const string ViewTeam = "view_team";
    public const string AddUserToTeam = "add_user_to_team";
    public const string RemoveUserFromTeam = "remove_user_from_team";

    public const string CreatePublicChannel = "create_public_channel";
    public const string CreatePrivateChannel = "create_private_channel";
    public const string CreateDirectChannel = "create_direct_channel";
    public const string ReadPublicChannel = "read_public_channel";
    public const string ReadChannel = "read_channel";
    public const string ReadChannelContent = "read_channel_content";
    public const string UploadFile = "upload_file";
    public const string JoinPublicChannels = "join_public_channels";
    public const string ManagePublicChannelMembers = "manage_public_channel_members";
    public const string ManagePrivateChannelMembers = "manage_private_channel_members";
    public const string ManagePublicChannelProperties = "manage_public_channel_properties";
    public const string ManagePrivateChannelProperties = "manage_private_channel_properties";
    public const string ManageChannelRoles = "manage_channel_roles";

    public const string CreatePost = "create_post";
    public const string CreateEmojis = "create_emojis";
    public const string DeleteEmojis = "delete_emojis";
    public const string DeleteOthersEmojis = "delete_others_emojis";
    public const string CreatePostPublic = "create_post_public";
    public const string EditPost = "edit_post";
    public const string EditOthersPosts = "edit_others_posts";
    public const string DeletePost = "delete_post";
    public const string DeleteOthersPosts = "delete_others_posts";
    public const string AddReaction = "add_reaction";
    public const string RemoveReaction = "remove_reaction";
    public const string RemoveOthersReactions = "remove_others_reactions";

    /// <summary>
    /// Every permission id: the catalogue of mattermost-redux 11.9.0 (<c>mattermost-redux/constants/permissions</c>,
    /// which still names a few ids the server no longer lists, e.g. manage_slash_commands), and the server-side ids
    /// default roles grant that the client does not name (the system console roles' get_logs, read_license_information
    /// and the like; playbook_admin's playbook_*_manage_roles).
    /// </summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "add_bookmark_private_channel", "add_bookmark_public_channel", "add_ldap_private_cert", "add_ldap_public_cert",
        "add_reaction", "add_saml_idp_cert", "add_saml_private_cert", "add_saml_public_cert", "add_user_to_team",
        "assign_system_admin_role", "bypass_incoming_webhook_channel_lock", "convert_private_channel_to_public",
        "convert_public_channel_to_private", "create_custom_group", "create_direct_channel",
        "create_elasticsearch_post_aggregation_job", "create_elasticsearch_post_indexing_job", "create_emojis",
        "create_group_channel", "create_ldap_sync_job", "create_post", "create_post_public", "create_private_channel",
        "create_public_channel", "create_team", "create_user_access_token", "delete_bookmark_private_channel",
        "delete_bookmark_public_channel", "delete_custom_group", "delete_emojis", "delete_others_emojis",
        "delete_others_posts", "delete_post", "delete_private_channel", "delete_public_channel", "demote_to_guest",
        "download_compliance_export_result", "edit_bookmark_private_channel", "edit_bookmark_public_channel",
        "edit_brand", "edit_custom_group", "edit_file_attachment", "edit_other_users", "edit_others_posts",
        "edit_post", "get_public_link", "get_saml_cert_status", "get_saml_metadata_from_idp", "import_team",
        "invalidate_caches", "invalidate_email_invite", "invite_guest", "invite_user", "join_private_teams",
        "join_public_channels", "join_public_teams", "list_private_teams", "list_public_teams", "list_team_channels",
        "list_users_without_team", "manage_bots", "manage_channel_access_rules", "manage_channel_roles",
        "manage_custom_group_members", "manage_emojis", "manage_incoming_webhooks", "manage_jobs", "manage_oauth",
        "manage_others_agent", "manage_others_bots", "manage_others_emojis", "manage_others_incoming_webhooks",
        "manage_others_outgoing_webhooks", "manage_others_slash_commands", "manage_others_webhooks",
        "manage_outgoing_oauth_connections", "manage_outgoing_webhooks", "manage_own_agent",
        "manage_own_incoming_webhooks", "manage_own_outgoing_webhooks", "manage_own_slash_commands",
        "manage_private_channel_auto_translation", "manage_private_channel_banner", "manage_private_channel_members",
        "manage_private_channel_properties", "manage_public_channel_auto_translation", "manage_public_channel_banner",
        "manage_public_channel_members", "manage_public_channel_properties", "manage_roles",
        "manage_secure_connections", "manage_shared_channels", "manage_slash_commands", "manage_system", "manage_team",
        "manage_team_access_rules", "manage_team_roles", "manage_webhooks", "order_bookmark_private_channel",
        "order_bookmark_public_channel", "permanent_delete_user", "playbook_private_create",
        "playbook_private_make_public", "playbook_private_manage_members", "playbook_private_manage_properties",
        "playbook_private_view", "playbook_public_create", "playbook_public_make_private",
        "playbook_public_manage_members", "playbook_public_manage_properties", "playbook_public_view", "promote_guest",
        "purge_elasticsearch_indexes", "read_channel", "read_channel_content",
        "read_elasticsearch_post_aggregation_job", "read_elasticsearch_post_indexing_job", "read_jobs",
        "read_ldap_sync_job", "read_other_users_teams", "read_private_channel_groups", "read_public_channel",
        "read_public_channel_groups", "read_user_access_token", "recycle_database_connections", "reload_config",
        "remove_ldap_private_cert", "remove_ldap_public_cert", "remove_others_reactions", "remove_reaction",
        "remove_saml_idp_cert", "remove_saml_private_cert", "remove_saml_public_cert", "remove_user_from_team",
        "restore_custom_group", "revoke_user_access_token", "run_create", "run_manage_members",
        "run_manage_properties", "run_view", "sysconsole_read_about_edition_and_license",
        "sysconsole_read_authentication_email", "sysconsole_read_authentication_guest_access",
        "sysconsole_read_authentication_ldap", "sysconsole_read_authentication_mfa",
        "sysconsole_read_authentication_openid", "sysconsole_read_authentication_password",
        "sysconsole_read_authentication_saml", "sysconsole_read_authentication_signup", "sysconsole_read_billing",
        "sysconsole_read_compliance_compliance_export", "sysconsole_read_compliance_compliance_monitoring",
        "sysconsole_read_compliance_custom_terms_of_service", "sysconsole_read_compliance_data_retention_policy",
        "sysconsole_read_environment_database", "sysconsole_read_environment_developer",
        "sysconsole_read_environment_elasticsearch", "sysconsole_read_environment_file_storage",
        "sysconsole_read_environment_high_availability", "sysconsole_read_environment_image_proxy",
        "sysconsole_read_environment_logging", "sysconsole_read_environment_mobile_security",
        "sysconsole_read_environment_performance_monitoring", "sysconsole_read_environment_push_notification_server",
        "sysconsole_read_environment_rate_limiting", "sysconsole_read_environment_session_lengths",
        "sysconsole_read_environment_smtp", "sysconsole_read_environment_web_server",
        "sysconsole_read_experimental_bleve", "sysconsole_read_experimental_feature_flags",
        "sysconsole_read_experimental_features", "sysconsole_read_integrations_bot_accounts",
        "sysconsole_read_integrations_cors", "sysconsole_read_integrations_gif",
        "sysconsole_read_integrations_integration_management", "sysconsole_read_plugins",
        "sysconsole_read_products_boards", "sysconsole_read_reporting_server_logs",
        "sysconsole_read_reporting_site_statistics", "sysconsole_read_reporting_team_statistics",
        "sysconsole_read_site_announcement_banner", "sysconsole_read_site_customization", "sysconsole_read_site_emoji",
        "sysconsole_read_site_file_sharing_and_downloads", "sysconsole_read_site_ip_filters",
        "sysconsole_read_site_localization", "sysconsole_read_site_notices", "sysconsole_read_site_notifications",
        "sysconsole_read_site_posts", "sysconsole_read_site_public_links", "sysconsole_read_site_users_and_teams",
        "sysconsole_read_user_management_channels", "sysconsole_read_user_management_groups",
        "sysconsole_read_user_management_permissions", "sysconsole_read_user_management_system_roles",
        "sysconsole_read_user_management_teams", "sysconsole_read_user_management_users",
        "sysconsole_write_about_edition_and_license", "sysconsole_write_authentication_email",
        "sysconsole_write_authentication_guest_access", "sysconsole_write_authentication_ldap",
        "sysconsole_write_authentication_mfa", "sysconsole_write_authentication_openid",
        "sysconsole_write_authentication_password", "sysconsole_write_authentication_saml",
        "sysconsole_write_authentication_signup", "sysconsole_write_billing",
        "sysconsole_write_compliance_compliance_export", "sysconsole_write_compliance_compliance_monitoring",
        "sysconsole_write_compliance_custom_terms_of_service", "sysconsole_write_compliance_data_retention_policy",
        "sysconsole_write_environment_database", "sysconsole_write_environment_developer",
        "sysconsole_write_environment_elasticsearch", "sysconsole_write_environment_file_storage",
        "sysconsole_write_environment_high_availability", "sysconsole_write_environment_image_proxy",
        "sysconsole_write_environment_logging", "sysconsole_write_environment_mobile_security",
        "sysconsole_write_environment_performance_monitoring", "sysconsole_write_environment_push_notification_server",
        "sysconsole_write_environment_rate_limiting", "sysconsole_write_environment_session_lengths",
        "sysconsole_write_environment_smtp", "sysconsole_write_environment_web_server",
        "sysconsole_write_experimental_bleve", "sysconsole_write_experimental_feature_flags",
        "sysconsole_write_experimental_features", "sysconsole_write_integrations_bot_accounts",
        "sysconsole_write_integrations_cors", "sysconsole_write_integrations_gif",
        "sysconsole_write_integrations_integration_management", "sysconsole_write_plugins",
        "sysconsole_write_products_boards", "sysconsole_write_reporting_server_logs",
        "sysconsole_write_reporting_site_statistics", "sysconsole_write_reporting_statistics",
        "sysconsole_write_site_announcement_banner", "sysconsole_write_site_customization",
        "sysconsole_write_site_emoji", "sysconsole_write_site_file_sharing_and_downloads",
        "sysconsole_write_site_ip_filters", "sysconsole_write_site_localization", "sysconsole_write_site_notices",
        "sysconsole_write_site_notifications", "sysconsole_write_site_posts", "sysconsole_write_site_public_links",
        "sysconsole_write_site_users_and_teams", "sysconsole_write_user_management_channels",
        "sysconsole_write_user_management_groups", "sysconsole_write_user_management_permissions",
        "sysconsole_write_user_management_system_roles", "sysconsole_write_user_management_teams",
        "sysconsole_write_user_management_users", "test_elasticsearch", "test_email", "test_ldap", "test_s3",
        "test_site_url", "upload_file", "use_channel_mentions", "use_group_mentions", "use_slash_commands",
        "view_members", "view_team",
        // Server-side only: Mattermost's SysconsoleAncillaryPermissions that the client catalogue does not name.
        "create_compliance_export_job", "create_data_retention_job", "get_analytics", "get_logs",
        "manage_compliance_export_job", "manage_data_retention_job", "manage_elasticsearch_post_aggregation_job",
        "manage_elasticsearch_post_indexing_job", "manage_ldap_sync_job", "manage_license_information", "read_audits",
        "read_compliance_export_job", "read_data_retention_job", "read_license_information",
        // Server-side only: granted by playbook_admin.
        "playbook_private_manage_roles", "playbook_public_manage_roles",
    ];
}
