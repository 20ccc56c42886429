<?php
// The comments template while Civil Comments is active (see civil-comments.php).
if (!defined('ABSPATH')) {
    exit;
}
civil_comments_render();
