<?php
/**
 * Plugin Name: Civil Comments
 * Description: Replaces the comments of posts with Civil's discussion: the embed for readers with JavaScript, and the server-rendered discussion (Civil's /embed/thread fragment) for readers without it and for search engines.
 * Version: 1.0.0
 * License: MIT
 *
 * Set Civil's address under Settings > Discussion > "Civil address" (for example
 * https://comments.example.com), and allow this site's origin in Civil (embed_origins, or
 * /admin/sites). Until the address is set, WordPress's own comments stay as they are.
 */

if (!defined('ABSPATH')) {
    exit;
}

const CIVIL_COMMENTS_OPTION = 'civil_comments_address';
// The fallback fragment is fetched at most this often per post: Civil serves it from its own
// cache, but a slow Civil should cost the page at most one short wait a minute.
const CIVIL_COMMENTS_FRAGMENT_TTL = 60;
const CIVIL_COMMENTS_TIMEOUT = 2;

/** Civil's address as saved, without a trailing slash; '' when unset. */
function civil_comments_address() {
    return untrailingslashit(trim((string) get_option(CIVIL_COMMENTS_OPTION, '')));
}

add_action('admin_init', function () {
    register_setting('discussion', CIVIL_COMMENTS_OPTION, array(
        'type' => 'string',
        'sanitize_callback' => function ($value) {
            $value = esc_url_raw(trim((string) $value), array('http', 'https'));
            return untrailingslashit($value);
        },
        'default' => '',
    ));
    add_settings_field(CIVIL_COMMENTS_OPTION, 'Civil address', function () {
        printf(
            '<input type="url" class="regular-text" name="%1$s" id="%1$s" value="%2$s" placeholder="https://comments.example.com"> '
            . '<p class="description">Where Civil runs. Posts show its discussion instead of WordPress comments.</p>',
            esc_attr(CIVIL_COMMENTS_OPTION),
            esc_attr(civil_comments_address())
        );
    }, 'discussion', 'default');
});

// Classic themes: the theme's comments.php is replaced by the embed wherever the theme calls
// comments_template().
add_filter('comments_template', function ($template) {
    if (civil_comments_address() === '' || !is_singular()) {
        return $template;
    }
    return __DIR__ . '/comments.php';
});

// Block themes (Twenty Twenty-Three, WordPress's default since 6.1) never call
// comments_template(): their templates hold a Comments block, which renders WordPress's comments
// and form itself. That block becomes the embed; a Comment Form block standing on its own
// becomes nothing, so readers are not offered WordPress's form beside Civil's.
add_filter('render_block', function ($content, $block, $instance = null) {
    $name = $block['blockName'] ?? '';
    if (civil_comments_address() === '' || !is_singular()) {
        return $content;
    }
    $post = ($instance instanceof WP_Block && isset($instance->context['postId']))
        ? get_post($instance->context['postId'])
        : get_post();
    if ($name === 'core/comments' || $name === 'core/post-comments') {
        if (!$post || post_password_required($post)) {
            return '';
        }
        ob_start();
        civil_comments_render($post);
        return ob_get_clean();
    }
    if ($name === 'core/post-comments-form') {
        return '';
    }
    return $content;
}, 10, 3);

/** The discussion as HTML from /embed/thread, cached briefly; '' when Civil does not answer. */
function civil_comments_fragment($civil, $url, $title) {
    $key = 'civil_fragment_' . md5($civil . '|' . $url);
    $cached = get_transient($key);
    if (is_string($cached)) {
        return $cached;
    }
    $response = wp_remote_get(
        $civil . '/embed/thread?url=' . rawurlencode($url) . '&title=' . rawurlencode($title),
        array('timeout' => CIVIL_COMMENTS_TIMEOUT)
    );
    $html = '';
    if (!is_wp_error($response) && wp_remote_retrieve_response_code($response) === 200) {
        $html = (string) wp_remote_retrieve_body($response);
    }
    // A failure is cached too, so a Civil that is down is not asked on every page view.
    set_transient($key, $html, CIVIL_COMMENTS_FRAGMENT_TTL);
    return $html;
}

/** The embed block for a post (the current one when none is given). */
function civil_comments_render($post = null) {
    $civil = civil_comments_address();
    $url = get_permalink($post);
    // get_the_title() is HTML ("Budget &#038; the vote"); Civil wants the text.
    $title = html_entity_decode(wp_strip_all_tags(get_the_title($post)), ENT_QUOTES | ENT_HTML5, 'UTF-8');
    $fragment = civil_comments_fragment($civil, $url, $title);
    $discussion = $civil . '/embed/discussion?url=' . rawurlencode($url) . '&title=' . rawurlencode($title);
    ?>
<div id="civil-thread" data-civil-url="<?php echo esc_attr($url); ?>" data-civil-title="<?php echo esc_attr($title); ?>"></div>
<script src="<?php echo esc_url($civil . '/assets/embed.js'); ?>" async></script>
<noscript>
<?php
    // Civil's own HTML (masked and sanitised there, with absolute links and forms that post to
    // Civil and come back here): printed as it came.
    echo $fragment;
?>
<p><a href="<?php echo esc_url($discussion); ?>">Read and join the discussion on Civil</a></p>
</noscript>
<?php
}

/**
 * Comment counts in post lists: put [civil_count] (or civil_comments_count()) where the
 * count goes; count.js fills every such span with one request for the whole page.
 */
function civil_comments_count($post = null) {
    $civil = civil_comments_address();
    if ($civil === '') {
        return '';
    }
    wp_enqueue_script('civil-count', $civil . '/assets/count.js', array(), null, array('in_footer' => true, 'strategy' => 'async'));
    return '<span data-civil-count="' . esc_attr(get_permalink($post)) . '"></span>';
}
add_shortcode('civil_count', function () {
    return civil_comments_count();
});
